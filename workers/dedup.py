"""Entry point of the dedup worker: `python -m workers.dedup` (or `storyline worker dedup`)."""

from __future__ import annotations

import sys

from storyline.bootstrap import run_worker


def main() -> None:
    sys.exit(run_worker("dedup"))


if __name__ == "__main__":
    main()
