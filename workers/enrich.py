"""Entry point of the enrich worker: `python -m workers.enrich` (or `storyline worker enrich`)."""

from __future__ import annotations

import sys

from storyline.bootstrap import run_worker


def main() -> None:
    sys.exit(run_worker("enrich"))


if __name__ == "__main__":
    main()
