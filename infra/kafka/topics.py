#!/usr/bin/env python3
"""Print infra/kafka/topics.yaml as one line per topic, for broker.sh: ``name partitions rf key=val key=val ...``.

Reads the file with PyYAML (pinned in pyproject.toml; broker.sh runs this with the project's .venv when there is
one). Validates what Kafka would reject anyway, so a typo fails before any topic is created.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path
from typing import Any

DEFAULT_FILE = Path(__file__).resolve().with_name("topics.yaml")
LEGAL_NAME = re.compile(r"^[A-Za-z0-9._-]{1,249}$")
NO_SPACE = re.compile(r"^\S+$")


def load(path: Path = DEFAULT_FILE) -> list[dict[str, Any]]:
    try:
        import yaml
    except ImportError as exc:
        raise ValueError(
            f"PyYAML is not installed for {sys.executable}: run `make setup` (or set PYTHON to the project's .venv)"
        ) from exc
    try:
        data: Any = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise ValueError(f"not valid YAML: {exc}") from exc
    if not isinstance(data, list):
        raise ValueError(f"{path}: expected a list of topics")
    return data


def lines(topics: list[dict[str, Any]]) -> list[str]:
    out: list[str] = []
    seen: set[str] = set()
    for t in topics:
        name = str(t.get("name", ""))
        if not LEGAL_NAME.match(name) or name in {".", ".."}:
            raise ValueError(f"illegal topic name: {name!r}")
        if name in seen:
            raise ValueError(f"duplicate topic: {name}")
        seen.add(name)
        partitions = int(t["partitions"])
        rf = int(t.get("replication_factor", 1))
        if partitions < 1 or rf < 1:
            raise ValueError(f"{name}: partitions and replication_factor must be >= 1")
        fields = [name, str(partitions), str(rf)]
        for key, value in (t.get("config") or {}).items():
            k, v = str(key), str(value)
            if not NO_SPACE.match(k) or not NO_SPACE.match(v) or "=" in k:
                raise ValueError(f"{name}: config {k!r}={v!r} must have no spaces (and no '=' in the key)")
            fields.append(f"{k}={v}")
        out.append(" ".join(fields))
    return out


def main(argv: list[str]) -> int:
    path = Path(argv[1]) if len(argv) > 1 else DEFAULT_FILE
    try:
        for line in lines(load(path)):
            print(line)
    except (ValueError, KeyError, TypeError) as exc:
        print(f"topics.py: {path}: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
