"""Worker process shell: signals, metrics endpoint, logging with record coordinates, and the runner's loop.

The loop itself (consume → handle → produce → flush and check delivery → commit) is
`storyline.services.streaming.StreamRunner`, shared with tests; this module only owns the process.
"""

from __future__ import annotations

import logging
import signal
import threading
from types import FrameType

from storyline.bootstrap import build_worker
from storyline.settings import Settings

log = logging.getLogger("storyline.worker")


def run_worker(
    stage: str,
    from_dlq: bool = False,
    settings: Settings | None = None,
    metrics_port: int | None = None,
    backfill: bool = False,
) -> int:
    """Run one stage until SIGTERM/SIGINT (or, replaying a DLQ, until it is drained). Returns an exit code."""
    settings = settings or Settings()
    logging.basicConfig(
        level=settings.log_level.upper(), format=f"%(asctime)s %(levelname)s {stage} %(name)s: %(message)s"
    )
    worker = build_worker(stage, settings, from_dlq=from_dlq, backfill=backfill)
    stop = threading.Event()

    def on_signal(signum: int, _frame: FrameType | None) -> None:
        log.info("signal %d: finishing the batch, committing, stopping", signum)
        stop.set()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    port = metrics_port if metrics_port is not None else settings.metrics_port
    if port:
        worker.metrics.serve(port, settings.metrics_host)
        log.info("metrics on http://%s:%d/metrics", settings.metrics_host, port)
    try:
        worker.runner.run(stop.is_set, worker.replay_targets)
    finally:
        worker.close()
    log.info("%s stopped after %d records", stage, worker.runner.processed)
    return 0
