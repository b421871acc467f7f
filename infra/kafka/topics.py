#!/usr/bin/env python3
"""Print infra/kafka/topics.yaml as one line per topic, for broker.sh: ``name partitions rf key=val key=val ...``.

Uses PyYAML when importable; otherwise a tiny parser for exactly the subset topics.yaml is written in
(a top-level list of mappings, one nested ``config`` mapping, scalars, comments). Validates what Kafka
would reject anyway, so a typo fails before any topic is created.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path
from typing import Any

DEFAULT_FILE = Path(__file__).resolve().with_name("topics.yaml")
LEGAL_NAME = re.compile(r"^[A-Za-z0-9._-]{1,249}$")
NO_SPACE = re.compile(r"^\S+$")


def _scalar(text: str) -> str:
    text = text.strip()
    if len(text) >= 2 and text[0] == text[-1] and text[0] in "'\"":
        return text[1:-1]
    return text


def _strip_comment(line: str) -> str:
    # A '#' starts a comment at line start or after whitespace, outside quotes (enough for this file).
    quote = ""
    for i, ch in enumerate(line):
        if quote:
            if ch == quote:
                quote = ""
        elif ch in "'\"":
            quote = ch
        elif ch == "#" and (i == 0 or line[i - 1].isspace()):
            return line[:i]
    return line


def parse_minimal(text: str) -> list[dict[str, Any]]:
    """Parse the restricted YAML of topics.yaml without PyYAML."""
    topics: list[dict[str, Any]] = []
    current: dict[str, Any] | None = None
    config: dict[str, str] | None = None
    config_indent = -1
    for lineno, raw in enumerate(text.splitlines(), 1):
        line = _strip_comment(raw).rstrip()
        if not line.strip():
            continue
        indent = len(line) - len(line.lstrip())
        body = line.strip()
        if body.startswith("- "):
            current = {}
            topics.append(current)
            config = None
            body = body[2:].strip()
            indent += 2
        if current is None or ":" not in body:
            raise ValueError(f"line {lineno}: unsupported YAML for topics.yaml: {raw!r}")
        key, _, value = body.partition(":")
        key, value = key.strip(), value.strip()
        if config is not None and indent > config_indent:
            config[key] = _scalar(value)
            continue
        config = None
        if key == "config" and not value:
            config = {}
            config_indent = indent
            current["config"] = config
        elif value == "{}":
            current[key] = {}
        else:
            current[key] = _scalar(value)
    return topics


def load(path: Path = DEFAULT_FILE) -> list[dict[str, Any]]:
    text = path.read_text(encoding="utf-8")
    try:
        import yaml
    except ImportError:
        data: Any = parse_minimal(text)
    else:
        data = yaml.safe_load(text)
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
