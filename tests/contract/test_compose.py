"""docker-compose.yml: validated by a real Compose implementation, and every service's command exists in the code."""

from __future__ import annotations

import os
import shlex
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml
from typer.testing import CliRunner

from storyline.cli import app as cli_app

ROOT = Path(__file__).resolve().parents[2]
COMPOSE_FILE = ROOT / "docker-compose.yml"
ENV_EXAMPLE = ROOT / ".env.example"
AIRFLOW = Path(sys.executable).parent / "airflow"


def _compose() -> str:
    path = shutil.which("docker-compose")
    if path is None:
        if os.environ.get("STORYLINE_REQUIRE_COMPOSE"):
            pytest.fail("docker-compose is required here (STORYLINE_REQUIRE_COMPOSE is set)")
        pytest.skip("no Compose implementation here (.ci/run installs Debian's docker-compose and requires it)")
    return path


def _services() -> dict[str, Any]:
    services: dict[str, Any] = yaml.safe_load(COMPOSE_FILE.read_text("utf-8"))["services"]
    return services


def test_a_real_compose_implementation_accepts_the_file() -> None:
    compose = _compose()
    base = [compose, "-f", str(COMPOSE_FILE), "--env-file", str(ENV_EXAMPLE)]
    done = subprocess.run([*base, "config", "-q"], capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr
    listed = subprocess.run([*base, "config", "--services"], capture_output=True, text=True, timeout=120, check=True)
    assert set(listed.stdout.split()) == set(_services())


def test_the_env_example_holds_every_variable_the_file_requires() -> None:
    text = COMPOSE_FILE.read_text("utf-8")
    env = dict(line.split("=", 1) for line in ENV_EXAMPLE.read_text().splitlines() if "=" in line and line[0] != "#")
    required = {part.split(":?")[0] for part in text.split("${")[1:] if ":?" in part.split("}")[0]}
    assert required and required <= set(env)
    assert ".env" in (ROOT / ".gitignore").read_text().split(), "secrets live in .env, which git must ignore"


def _storyline_commands() -> list[tuple[str, list[str]]]:
    """(service, argv) of every service that runs the storyline CLI (the image's default entrypoint)."""
    out = []
    for name, svc in _services().items():
        if "build" in svc and "entrypoint" not in svc and "command" in svc:
            out.append((name, [str(a) for a in svc["command"]]))
    return out


def _airflow_commands() -> list[tuple[str, list[str]]]:
    out = []
    for name, svc in _services().items():
        entry = svc.get("entrypoint")
        if entry == ["airflow"]:
            out.append((name, [str(a) for a in svc["command"]]))
        elif entry == ["/bin/sh", "-c"]:
            for part in " ".join(svc["command"]).split("&&"):
                argv = shlex.split(part)
                argv = argv[1:] if argv[:1] == ["exec"] else argv
                if argv and argv[0] == "airflow":
                    out.append((name, argv[1:]))
    return out


def _subcommand(argv: list[str]) -> list[str]:
    # The leading words that are not options: the command path (e.g. ["worker", "extract"], ["db", "upgrade"]).
    words: list[str] = []
    for arg in argv:
        if arg.startswith("-"):
            break
        words.append(arg)
    return words


def test_every_storyline_service_command_exists() -> None:
    runner = CliRunner()
    commands = _storyline_commands()
    assert {n for n, _ in commands} >= {"migrate", "kafka-topics", "extract", "dedup", "cluster", "enrich", "api"}
    for name, argv in commands:
        words = _subcommand(argv)
        result = runner.invoke(cli_app, [*words, "--help"])
        assert result.exit_code == 0, f"{name}: `storyline {' '.join(words)}` is not a command: {result.output}"
        if words[0] == "worker":
            assert (ROOT / "workers" / f"{words[1]}.py").exists(), f"{name}: no worker module for {words[1]!r}"


def test_every_airflow_service_command_exists() -> None:
    if not AIRFLOW.exists():
        pytest.skip("Airflow is not installed in this environment (pip install -e '.[dev]' installs it)")
    commands = _airflow_commands()
    names = {n for n, _ in commands}
    assert names >= {"airflow-api-server", "airflow-scheduler", "airflow-dag-processor", "airflow-triggerer"}
    for name, argv in commands:
        words = _subcommand(argv)
        done = subprocess.run(
            [str(AIRFLOW), *words, "--help"], capture_output=True, text=True, timeout=180, check=False
        )
        assert done.returncode == 0, f"{name}: `airflow {' '.join(words)}` failed: {done.stderr[-500:]}"


def test_dependencies_name_services_and_conditions_compose_knows() -> None:
    services = _services()
    conditions = {"service_started", "service_healthy", "service_completed_successfully"}
    for name, svc in services.items():
        for dep, spec in (svc.get("depends_on") or {}).items():
            assert dep in services, f"{name} depends on unknown {dep}"
            assert spec["condition"] in conditions
            if spec["condition"] == "service_healthy":
                assert "healthcheck" in services[dep], f"{name} waits for {dep} to be healthy; it has no healthcheck"


def test_the_image_pins_what_pyproject_pins() -> None:
    """The image installs under infra/docker/constraints.txt (`make constraints`): it must agree with every
    exact pin of pyproject's runtime dependencies and of the extras the image installs."""
    import tomllib

    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    wanted = [*project["dependencies"], *project["optional-dependencies"]["postgres"]]
    wanted += project["optional-dependencies"]["airflow"]
    constraints = ROOT / "infra" / "docker" / "constraints.txt"
    pinned = {
        name.casefold().replace("_", "-"): version
        for name, _, version in (line.partition("==") for line in constraints.read_text().splitlines())
        if version
    }
    assert "infra/docker/constraints.txt" in (ROOT / "infra" / "docker" / "Dockerfile").read_text()
    for requirement in wanted:
        name, _, version = requirement.partition("==")
        if version:
            bare = name.split("[")[0].strip().casefold().replace("_", "-")
            assert pinned.get(bare) == version.strip(), f"{bare}: pyproject {version}, constraints {pinned.get(bare)}"


def test_the_image_copies_what_the_build_reads() -> None:
    """`pip install .` in the image reads pyproject's readme and license files: a file the Dockerfile does not
    copy fails the image build, which no test here runs (no Docker engine)."""
    import tomllib

    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    copied = {
        name
        for line in (ROOT / "infra" / "docker" / "Dockerfile").read_text().splitlines()
        if line.startswith("COPY ")
        for name in line.split()[1:-1]
    }
    for needed in [project["readme"], *project.get("license-files", [])]:
        assert (ROOT / needed).is_file(), f"pyproject names {needed}, which is not in the repo"
        assert needed in copied, f"the Dockerfile does not copy {needed}, which `pip install .` reads"
