"""The unit of work: store calls that are written together, or not at all."""

from __future__ import annotations

from contextlib import AbstractContextManager
from typing import Protocol


class UnitOfWork(Protocol):
    def unit_of_work(self) -> AbstractContextManager[None]:
        """The store calls made inside share one transaction: all are written, or none."""
        ...
