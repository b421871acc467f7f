"""Story prose from an OpenAI-compatible chat-completions endpoint over httpx, verified against its citations."""

from __future__ import annotations

import json
import logging
from collections.abc import Sequence
from types import TracebackType

import httpx

from storyline.domain.enrichment import StoryArticle
from storyline.domain.errors import LlmUnavailable
from storyline.domain.llm import DEFAULT_MIN_SUPPORT, LlmProse, build_messages, parse_response, verify

log = logging.getLogger("storyline.llm")
_MASK = "***"
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
        key = _MASK if self._api_key else None
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
        # Servers sometimes echo the key they rejected; whatever reaches a message passes through here.
        return text.replace(self._api_key, _MASK) if self._api_key else text

    def write(self, headline: str, articles: Sequence[StoryArticle]) -> LlmProse:
        """Ask the model for both sections, then keep only the sentences their cited articles support.

        Raises LlmUnavailable on transport errors, timeouts and non-2xx answers; ValueError on a malformed answer.
        """
        url = f"{self.base_url}/chat/completions"
        payload = {"model": self.model, "messages": build_messages(headline, articles), "temperature": 0}
        headers = {"Accept": "application/json"}
        if self._api_key:
            headers["Authorization"] = f"Bearer {self._api_key}"
        log.debug("llm request: POST %s model=%s articles=%d", url, self.model, len(articles))
        try:
            resp = self._client.post(url, json=payload, headers=headers, timeout=self.timeout_s)
        except httpx.TimeoutException as exc:
            raise LlmUnavailable(f"LLM endpoint {url} timed out after {self.timeout_s:g}s") from exc
        except httpx.HTTPError as exc:
            raise LlmUnavailable(
                f"LLM endpoint {url} unreachable: {type(exc).__name__}: {self._redact(str(exc))}"
            ) from exc
        if not resp.is_success:
            excerpt = self._redact(resp.text[:_BODY_EXCERPT])
            raise LlmUnavailable(f"LLM endpoint {url} answered HTTP {resp.status_code}: {excerpt!r}", resp.status_code)
        content = self._content(resp)
        prose = verify(parse_response(content), articles, self.min_support)
        log.info(
            "llm prose for %r: kept %d what_happened + %d behind sentences, dropped %d%s",
            headline,
            len(prose.what_happened),
            len(prose.behind),
            prose.dropped,
            f" ({'; '.join(prose.dropped_reasons)})" if prose.dropped else "",
        )
        return prose

    def _content(self, resp: httpx.Response) -> str:
        try:
            body = resp.json()
        except json.JSONDecodeError as exc:
            excerpt = self._redact(resp.text[:_BODY_EXCERPT])
            raise ValueError(f"LLM endpoint answered a body that is not JSON: {excerpt!r}") from exc
        try:
            content = body["choices"][0]["message"]["content"]
        except (KeyError, IndexError, TypeError) as exc:
            raise ValueError("LLM endpoint answer has no choices[0].message.content") from exc
        if not isinstance(content, str):
            raise ValueError(f"LLM answer content is {type(content).__name__}, not text")
        return content
