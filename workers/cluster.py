"""Entry point of the cluster worker: `python -m workers.cluster` (or `storyline worker cluster`)."""

from __future__ import annotations

import sys

from storyline.bootstrap import run_worker


def main() -> None:
    sys.exit(run_worker("cluster"))


if __name__ == "__main__":
    main()
