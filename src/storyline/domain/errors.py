"""Typed errors: the class of an error decides its route (DLQ at once, retry, or stop)."""

from __future__ import annotations


class StorylineError(Exception):
    """Base class; `kind` is a short stable code stored with failed items."""

    kind = "error"

    def __init__(self, message: str, *, kind: str | None = None) -> None:
        super().__init__(message)
        if kind is not None:
            self.kind = kind

    @property
    def message(self) -> str:
        return str(self)


class PermanentError(StorylineError):
    """Retrying cannot help (bad payload, unextractable page, malformed feed): record it and move on."""

    kind = "permanent"


class TransientError(StorylineError):
    """An outage (database, object store, network): retry with backoff, never dead-letter."""

    kind = "transient"

    def __init__(self, message: str, *, kind: str | None = None, retry_after_s: float | None = None) -> None:
        super().__init__(message, kind=kind)
        self.retry_after_s = retry_after_s  # what the server asked for (Retry-After), if anything


class ConfigError(PermanentError):
    """A malformed source registry or setting; the message names the file, the source and the field."""

    kind = "config"


class LlmUnavailable(StorylineError):
    """The optional prose model could not be reached or did not answer 2xx: enrichment keeps the extractive
    sections (the default everywhere) and carries on."""

    kind = "llm_unavailable"

    def __init__(self, message: str, status: int | None = None) -> None:
        super().__init__(message)
        self.status = status
