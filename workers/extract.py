"""Entry point of the extract worker: `python -m workers.extract` (or `storyline worker extract`)."""

from __future__ import annotations

import sys

from storyline.bootstrap import run_worker


def main() -> None:
    sys.exit(run_worker("extract"))


if __name__ == "__main__":
    main()
