"""docker-compose.yml's Airflow, run for real: its api-server, scheduler, dag-processor and triggerer as separate
processes on this machine, each with its own AIRFLOW_HOME and the environment Compose renders for it, on a
PostgreSQL metadata database; a data_quality run triggered through the API must succeed. A compose file whose
Airflow part cannot start or run a task (no async driver, secrets each component makes its own) fails here."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from test_compose import COMPOSE_FILE, ENV_EXAMPLE, ROOT, _compose

pytest.importorskip("airflow", reason="apache-airflow is part of the dev install (make setup)")
POSTGRES_URL = os.environ.get("STORYLINE_TEST_POSTGRES_URL")
SERVICES = ("airflow-api-server", "airflow-scheduler", "airflow-dag-processor", "airflow-triggerer")
BIN = Path(sys.executable).parent
DEADLINE_S = 300.0


@dataclass
class Stack:
    api: str
    token: str
    processes: dict[str, subprocess.Popen[bytes]]
    logs: Path
    env: dict[str, dict[str, str]]
    services: dict[str, Any]

    def get(self, path: str) -> httpx.Response:
        return httpx.get(self.api + path, headers={"Authorization": f"Bearer {self.token}"}, timeout=30)

    def tail(self) -> str:
        return "\n".join(f"--- {p.name}\n{p.read_text(errors='replace')[-3000:]}" for p in sorted(self.logs.glob("*")))


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _rendered(env_file: Path) -> dict[str, Any]:
    """The services as Compose renders them (variables substituted, anchors merged)."""
    done = subprocess.run(
        [_compose(), "-f", str(COMPOSE_FILE), "--env-file", str(env_file), "config"],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    services: dict[str, Any] = yaml.safe_load(done.stdout)["services"]
    return services


def _environment(service: Mapping[str, Any]) -> dict[str, str]:
    env = service.get("environment") or {}
    if isinstance(env, list):  # Compose may render "KEY=value" items
        env = dict(item.split("=", 1) for item in env)
    return {k: "" if v is None else str(v) for k, v in env.items()}


def _on_this_machine(env: dict[str, str], places: Mapping[str, str], home: Path) -> dict[str, str]:
    """Compose's environment with its network names and container paths mapped to this machine's: the values
    are compose's own, only where they point changes."""
    local = {}
    for key, value in env.items():
        mapped = value
        for there, here in places.items():
            mapped = mapped.replace(there, here)
        local[key] = mapped
    return {
        **{k: v for k, v in os.environ.items() if not k.startswith(("AIRFLOW", "STORYLINE_"))},
        **local,
        "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}",  # `airflow`, `storyline`, `python` of this venv
        "AIRFLOW_HOME": str(home),
    }


def _wait(what: str, check: Any, stack_tail: Any, seconds: float = DEADLINE_S) -> Any:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            found = check()
        except httpx.HTTPError:
            found = None
        if found:
            return found
        time.sleep(2)
    pytest.fail(f"timed out waiting for {what}\n{stack_tail()}")


@pytest.fixture
def stack(tmp_path: Path) -> Iterator[Stack]:
    if not POSTGRES_URL:
        pytest.skip("PostgreSQL not started: set STORYLINE_TEST_POSTGRES_URL (.ci/run does)")
    server = make_url(POSTGRES_URL)
    admin_password = "admin-" + uuid.uuid4().hex[:8]
    env_file = tmp_path / ".env"
    example = dict(
        line.split("=", 1) for line in ENV_EXAMPLE.read_text().splitlines() if "=" in line and line[0] != "#"
    )
    env_file.write_text(
        "\n".join(
            f"{k}={v}"
            for k, v in {
                **example,
                "POSTGRES_PASSWORD": server.password or "",
                "AIRFLOW_JWT_SECRET": uuid.uuid4().hex,
                "AIRFLOW_SECRET_KEY": uuid.uuid4().hex,
                "AIRFLOW_ADMIN_PASSWORD": admin_password,
            }.items()
        )
        + "\n"
    )
    services = _rendered(env_file)
    assert server.username == "storyline", "compose's role is storyline; so is the test server's (infra/postgres)"
    warehouse_db = f"storyline_af_{uuid.uuid4().hex[:8]}"
    engine = create_engine(server, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        # Compose's metadata database is named airflow (`storyline db url --database airflow`): a fresh one.
        conn.execute(text("DROP DATABASE IF EXISTS airflow WITH (FORCE)"))
        conn.execute(text("CREATE DATABASE airflow"))
        conn.execute(text(f"CREATE DATABASE {warehouse_db}"))
    host = f"{server.host}:{server.port}"
    no_sources = tmp_path / "sources.yaml"
    no_sources.write_text("sources:\n  - {id: off, name: Off, feeds: [http://127.0.0.1:9/feed], enabled: false}\n")
    logs = tmp_path / "logs"
    logs.mkdir()
    envs: dict[str, dict[str, str]] = {}

    def environments(names: tuple[str, ...], api_port: int) -> None:
        places = {
            "@postgres:5432/storyline": f"@{host}/{warehouse_db}",
            "postgres:5432": host,
            "airflow-api-server:8080": f"127.0.0.1:{api_port}",
            "/app/dags": str(ROOT / "dags"),
            # No outlets: the crawl DAG runs on its schedule here too, and this machine has no internet.
            "/app/sources.yaml": str(no_sources),
            "/home/storyline/": f"{tmp_path}/",
        }
        for name in names:
            home = tmp_path / f"home-{name}"
            home.mkdir()
            env = _on_this_machine(_environment(services[name]), places, home)
            env["STORYLINE_DATA_DIR"] = str(tmp_path / "data")
            # Where the api-server listens here (compose publishes its 8080); one worker on this 2-core machine.
            env.update(
                {"AIRFLOW__API__HOST": "127.0.0.1", "AIRFLOW__API__PORT": str(api_port), "AIRFLOW__API__WORKERS": "1"}
            )
            envs[name] = env

    def argv(name: str) -> list[str]:
        svc = services[name]
        entry = svc.get("entrypoint") or ["storyline"]  # the image's ENTRYPOINT
        return [str(a) for a in [*entry, *(svc.get("command") or [])]]

    environments(("migrate", "airflow-init"), 0)
    for name in ("migrate", "airflow-init"):  # the one-shot services the others wait for
        done = subprocess.run(argv(name), env=envs[name], capture_output=True, text=True, timeout=600, check=False)
        assert done.returncode == 0, f"{name}: {done.stdout[-2000:]}\n{done.stderr[-4000:]}"
    api_port = _free_port()  # chosen right before the api-server binds it: other tests' servers take ports too
    environments(SERVICES, api_port)
    processes: dict[str, subprocess.Popen[bytes]] = {}

    def start(name: str) -> None:
        log = (logs / f"{name}.log").open("wb")
        processes[name] = subprocess.Popen(
            argv(name), env=envs[name], stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )

    try:
        # In compose's order: the api-server first; the others wait for it to be healthy, as compose says.
        first, rest = SERVICES[0], SERVICES[1:]
        for name in rest:
            assert services[name]["depends_on"][first]["condition"] == "service_healthy", name
        start(first)
        api = f"http://127.0.0.1:{api_port}"
        partial = Stack(api, "", processes, logs, envs, services)

        def healthy() -> bool:
            assert processes["airflow-api-server"].poll() is None, partial.tail()
            answer = httpx.get(api + "/api/v2/monitor/health", timeout=10)
            # Airflow's own answer, not another server's that took the port first.
            return answer.is_success and "metadatabase" in answer.json()

        _wait("the api-server's health", healthy, partial.tail)
        for name in rest:
            start(name)
        login = httpx.post(api + "/auth/token", json={"username": "admin", "password": admin_password}, timeout=30)
        assert login.status_code == 201, login.text
        yield Stack(api, login.json()["access_token"], processes, logs, envs, services)
    finally:
        for proc in processes.values():
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGTERM)
        for proc in processes.values():
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait(timeout=30)
        with engine.connect() as conn:
            conn.execute(text("DROP DATABASE IF EXISTS airflow WITH (FORCE)"))
            conn.execute(text(f"DROP DATABASE IF EXISTS {warehouse_db} WITH (FORCE)"))
        engine.dispose()


def test_compose_airflow_components_run_a_triggered_dag(stack: Stack) -> None:
    dag = _wait(
        "the dag-processor to parse data_quality", lambda: stack.get("/api/v2/dags/data_quality").is_success, stack.tail
    )
    assert dag
    # The DAGs run on their schedules from the first start: none is paused (crawl_sources crawls on its own).
    for dag_id in ("crawl_sources", "data_quality", "maintenance"):
        found = _wait(f"{dag_id} to be parsed", lambda d=dag_id: stack.get(f"/api/v2/dags/{d}"), stack.tail)
        assert found.json()["is_paused"] is False, dag_id

    run_id = f"test-{uuid.uuid4().hex[:8]}"
    made = httpx.post(
        stack.api + "/api/v2/dags/data_quality/dagRuns",
        json={"dag_run_id": run_id, "logical_date": None},
        headers={"Authorization": f"Bearer {stack.token}"},
        timeout=30,
    )
    assert made.is_success, made.text

    def finished() -> str | None:
        state = str(stack.get(f"/api/v2/dags/data_quality/dagRuns/{run_id}").json().get("state"))
        return state if state in {"success", "failed"} else None

    state = _wait("the triggered data_quality run to finish", finished, stack.tail)
    tasks = stack.get(f"/api/v2/dags/data_quality/dagRuns/{run_id}/taskInstances").json()["task_instances"]
    print(f"data_quality run {run_id}: {state}; tasks: {[(t['task_id'], t['state']) for t in tasks]}")
    assert state == "success", stack.tail()
    assert [t["state"] for t in tasks] == ["success"]

    # Each component's compose healthcheck answers healthy for it.
    for name in SERVICES:
        # Inside its container the api-server answers on 8080; here, on the port the test gave it.
        here = stack.api.removeprefix("http://")
        test = [str(a).replace("127.0.0.1:8080", here) for a in stack.services[name]["healthcheck"]["test"]]
        assert test[0] == "CMD"
        done = subprocess.run(test[1:], env=stack.env[name], capture_output=True, text=True, timeout=120, check=False)
        assert done.returncode == 0, f"{name} healthcheck: {done.stdout[-1000:]} {done.stderr[-2000:]}"
