"""Child processes end with their parent: a run killed with SIGKILL leaves no crawl or analysis process behind."""

from __future__ import annotations

import os
import threading
import time

# How often a child looks whether its parent is still there (the parent's death is noticed within this).
POLL_S = 0.25
# A child's exit status when its parent died (EX_SOFTWARE): nothing of its unfinished work is kept.
ORPHANED_EXIT = 70


def exit_with_parent(parent_pid: int, poll_s: float = POLL_S) -> None:
    """Call first thing in a forked child: it exits once `parent_pid` is no longer its parent (the parent died, by
    SIGKILL too, and the child was re-parented). A watching thread rather than prctl(PR_SET_PDEATHSIG): that signal
    follows the parent *thread* that forked, and a process pool may fork from a thread that ends while the run
    goes on; a daemon thread costs nothing while the parent lives."""
    if os.getppid() != parent_pid:  # the parent died before this child got here
        os._exit(ORPHANED_EXIT)

    def watch() -> None:
        while os.getppid() == parent_pid:
            time.sleep(poll_s)
        # os._exit, not sys.exit: no cleanup may run on the parent's inherited state (its connections, its files).
        os._exit(ORPHANED_EXIT)

    threading.Thread(target=watch, name="exit-with-parent", daemon=True).start()
