"""Story prose from an OpenAI-compatible chat-completions endpoint over httpx, verified against its citations."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from types import TracebackType

import httpx

from storyline.domain.enrichment import StoryArticle
from storyline.domain.errors import LlmUnavailable
from storyline.domain.llm import DEFAULT_MIN_SUPPORT, LlmProse, build_messages, parse_response, verify
from storyline.domain.redaction import MASK, excerpt, redact

log = logging.getLogger("storyline.llm")
_BODY_EXCERPT = 200


class OpenAICompatibleWriter:
    """Writes "What's happened" and "What's behind the headline?"; every kept sentence is backed by its citations.

    The API key goes only into the Authorization header of each request: never into logs, messages or repr.
    """

    def __init__(
        self,
        base_url: str,
        model: str,
        api_key: str | None,
        timeout_s: float = 60.0,
        min_support: float = DEFAULT_MIN_SUPPORT,
        client: httpx.Client | None = None,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.model = model
        self._api_key = api_key or None
        self.timeout_s = timeout_s
        self.min_support = min_support
        self._owns_client = client is None
        self._client = client if client is not None else httpx.Client()

    def __repr__(self) -> str:
        key = MASK if self._api_key else None
        return (
            f"{type(self).__name__}(base_url={self.base_url!r}, model={self.model!r}, api_key={key!r}, "
            f"timeout_s={self.timeout_s!r}, min_support={self.min_support!r})"
        )

    def close(self) -> None:
        if self._owns_client:
            self._client.close()

    def __enter__(self) -> OpenAICompatibleWriter:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    def _redact(self, text: str) -> str:
        # Servers echo what they were sent (the key, the Authorization header): whatever reaches a message or a
        # log line passes through here.
        return redact(text, [self._api_key] if self._api_key else [])

    def _describe(self, resp: httpx.Response) -> str:
        """A response body as a message may quote it: its size and type, and a masked, cut-short excerpt."""
        kind = resp.headers.get("content-type", "no content type")
        shown = excerpt(resp.text, _BODY_EXCERPT, [self._api_key] if self._api_key else [])
        return f"{len(resp.content)} bytes, {self._redact(kind)}: {shown!r}"

    def write(self, headline: str, articles: Sequence[StoryArticle]) -> LlmProse:
        """Ask the model for both sections, then keep only the sentences their cited articles support.

        Raises LlmUnavailable on transport errors, timeouts and non-2xx answers; ValueError on a malformed answer.
        Neither carries the key, the request's credentials or an unmasked piece of the answer.
        """
        try:
            return self._write(headline, articles)
        except LlmUnavailable as exc:
            # Each message is masked once more here, whoever wrote it (the parser quotes the answer too); the
            # chained cause is dropped because it holds the same text unmasked, and a traceback would print it.
            raise LlmUnavailable(self._redact(str(exc)), exc.status) from None
        except ValueError as exc:
            raise ValueError(self._redact(str(exc))) from None

    def _write(self, headline: str, articles: Sequence[StoryArticle]) -> LlmProse:
        url = f"{self.base_url}/chat/completions"
        payload = {"model": self.model, "messages": build_messages(headline, articles), "temperature": 0}
        headers = {"Accept": "application/json"}
        if self._api_key:
            headers["Authorization"] = f"Bearer {self._api_key}"
        log.debug("llm request: POST %s model=%s articles=%d", self._redact(url), self.model, len(articles))
        try:
            resp = self._client.post(url, json=payload, headers=headers, timeout=self.timeout_s)
        except httpx.TimeoutException as exc:
            raise LlmUnavailable(f"LLM endpoint {url} timed out after {self.timeout_s:g}s") from exc
        except httpx.HTTPError as exc:
            raise LlmUnavailable(f"LLM endpoint {url} unreachable: {type(exc).__name__}: {exc}") from exc
        if not resp.is_success:
            raise LlmUnavailable(
                f"LLM endpoint {url} answered HTTP {resp.status_code} ({self._describe(resp)})", resp.status_code
            )
        try:
            body = resp.json()
        except ValueError as exc:  # JSONDecodeError, or a body that is not even text
            raise ValueError(
                f"LLM endpoint {url} answered HTTP {resp.status_code} with a body that is not JSON "
                f"({self._describe(resp)})"
            ) from exc
        prose = verify(parse_response(self._content(body)), articles, self.min_support)
        log.info(
            "llm prose for %r: kept %d what_happened + %d behind sentences, dropped %d%s",
            headline,
            len(prose.what_happened),
            len(prose.behind),
            prose.dropped,
            self._redact(f" ({'; '.join(prose.dropped_reasons)})") if prose.dropped else "",
        )
        return prose

    @staticmethod
    def _content(body: object) -> str:
        try:
            content = body["choices"][0]["message"]["content"]  # type: ignore[index]
        except (KeyError, IndexError, TypeError) as exc:
            raise ValueError("LLM endpoint answer has no choices[0].message.content") from exc
        if not isinstance(content, str):
            raise ValueError(f"LLM answer content is {type(content).__name__}, not text")
        return content
