"""The read API under an OpenAPI fuzzer (schemathesis) over the demo's real warehouse: valid and invalid
requests, generated from the API's own schema, get no 500 and no status code or body the schema does not state."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode

# The demo warehouse (the demo site crawled by the real pipeline), built as the story-page tests build it.
from test_story_pages import DemoRun, demo  # noqa: F401

from conftest import POSTGRES_URL, _reset_postgres
from storyline.adapters.warehouse import SqlReader
from storyline.bootstrap import build
from storyline.settings import Settings
from storyline.sources.registry import parse_sources

pytestmark = pytest.mark.e2e

# Per operation and generation mode (valid, invalid): enough to reach every parameter's edges, bounded so the
# whole module stays well under a minute.
EXAMPLES = 60
CASES: Counter[str] = Counter()


def _operations() -> list[str]:
    """Every documented operation, read from the app's own schema (a new route is fuzzed without a change here).
    The reader opens no connection until it is queried, and this only builds the schema."""
    from storyline.web.app import create_app

    reader = SqlReader("sqlite://")
    paths = create_app(reader).openapi()["paths"]
    reader.close()
    return [f"{method.upper()} {path}" for path, ops in paths.items() for method in ops]


def _backend(url: str) -> str:
    return url.split(":", 1)[0].split("+", 1)[0]


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def warehouse_url(
    request: pytest.FixtureRequest,
    demo: DemoRun,  # noqa: F811
    tmp_path_factory: pytest.TempPathFactory,
) -> str:
    """The demo warehouse on SQLite, and the same crawl into PostgreSQL (where, e.g., text cannot hold NUL)."""
    if request.param == "sqlite":
        return demo.database_url
    if not POSTGRES_URL:
        pytest.skip("PostgreSQL not started: set STORYLINE_TEST_POSTGRES_URL (.ci/run does)")
    _reset_postgres(POSTGRES_URL)
    tmp: Path = tmp_path_factory.mktemp("fuzz-pg")
    settings = Settings.model_validate(
        {"data_dir": tmp, "database_url": POSTGRES_URL, "allow_private_addresses": True, "min_host_delay_s": 0.0}
    )
    app = build(settings)
    sources = httpx.get(f"{demo.base_url}/sources.json").text
    app.pipeline.run(parse_sources(sources, "demo"))
    app.close()
    return POSTGRES_URL


@pytest.fixture(scope="module")
def api_schema(warehouse_url: str) -> Iterator[schemathesis.BaseSchema]:
    from storyline.web.app import create_app

    reader = SqlReader(warehouse_url)
    yield schemathesis.openapi.from_asgi("/openapi.json", create_app(reader))
    reader.close()
    # The size of the run (shown with -s); the tests fail on the first bad answer.
    mine = {k: n for k, n in CASES.items() if k.startswith(_backend(warehouse_url))}
    print(f"\nschemathesis: {sum(mine.values())} cases; " + ", ".join(f"{k}: {n}" for k, n in sorted(mine.items())))


@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE], ids=str)
@pytest.mark.parametrize("operation", _operations())
def test_no_server_error_and_no_undocumented_answer(
    api_schema: schemathesis.BaseSchema, warehouse_url: str, operation: str, mode: GenerationMode
) -> None:
    method, path = operation.split(" ", 1)

    # Derandomized: the same cases on every run, so a failure is reproducible and CI is not a lottery.
    @given(case=api_schema[path][method].as_strategy(generation_mode=mode))
    @settings(
        max_examples=EXAMPLES, deadline=None, derandomize=True, database=None, suppress_health_check=list(HealthCheck)
    )
    def fuzz(case: schemathesis.Case) -> None:
        CASES[f"{_backend(warehouse_url)}: {operation} {mode}"] += 1
        # Every built-in check: no 5xx; status codes, content types, headers and bodies as documented; invalid
        # input refused with a 4xx; valid input accepted.
        case.call_and_validate()

    try:
        fuzz()
    except Unsatisfiable:
        # Some operations take no input a request could get wrong (/api/sources; an id path segment, whose
        # only invalid value, a NUL, the fuzzer cannot put in a URL): nothing invalid to send.
        if mode is GenerationMode.POSITIVE:
            raise
        pytest.skip(f"{operation}: no request can violate its schema")


def test_every_real_story_and_article_answers_as_documented(
    api_schema: schemathesis.BaseSchema, warehouse_url: str
) -> None:
    """Generated ids almost never exist, so the 200 answers of the detail routes are checked on the real ones."""
    stories = api_schema["/api/stories"]["GET"].Case(query={"limit": 200}).call_and_validate().json()["items"]
    assert len(stories) >= 5
    for story in stories:
        detail = api_schema["/api/stories/{story_id}"]["GET"].Case(path_parameters={"story_id": story["story_id"]})
        body = detail.call_and_validate().json()
        for ref in body["articles"][:3]:
            article = api_schema["/api/articles/{article_id}"]["GET"].Case(
                path_parameters={"article_id": ref["article_id"]}
            )
            assert article.call_and_validate().status_code == 200
        CASES[f"{_backend(warehouse_url)}: real story ids"] += 1
