"""HTTP fetcher on httpx: timeouts, a size cap, a redirect limit and a guard against private addresses."""

from __future__ import annotations

import ipaddress
import socket
import zlib
from datetime import UTC, datetime
from urllib.parse import urljoin, urlsplit

import httpx

from storyline.domain.errors import PermanentError, TransientError
from storyline.domain.politeness import parse_retry_after
from storyline.domain.records import HttpResult

_RETRYABLE = {408, 425, 429, 500, 502, 503, 504}
_REDIRECTS = {301, 302, 303, 307, 308}  # not 304: a not-modified answer is a result, not a hop


def _is_private(host: str) -> bool:
    try:
        infos = socket.getaddrinfo(host, None)
    except socket.gaierror as exc:
        raise TransientError(f"cannot resolve {host}: {exc}") from exc
    for info in infos:
        addr = ipaddress.ip_address(info[4][0])
        if addr.is_private or addr.is_loopback or addr.is_link_local or addr.is_reserved or addr.is_multicast:
            return True
    return False


class HttpxFetcher:
    """One shared client (connection pooling); redirects followed by hand so each hop is checked."""

    def __init__(
        self,
        user_agent: str,
        timeout_s: float = 20.0,
        max_bytes: int = 10 * 1024 * 1024,
        max_redirects: int = 5,
        allow_private: bool = False,
    ) -> None:
        self.max_bytes = max_bytes
        self.max_redirects = max_redirects
        self.allow_private = allow_private
        self.user_agent, self.timeout_s = user_agent, timeout_s
        self.client = self._new_client()

    def _new_client(self) -> httpx.Client:
        return httpx.Client(
            headers={"User-Agent": self.user_agent, "Accept-Encoding": "gzip, deflate"},
            timeout=httpx.Timeout(self.timeout_s, connect=min(10.0, self.timeout_s)),
            follow_redirects=False,
        )

    def after_fork(self) -> None:
        """In a forked child: a client of its own. The inherited one is left as it is, not closed: its pooled
        connections are the parent's too, and a request (or a TLS close) on them here would corrupt the parent's."""
        self.client = self._new_client()

    def close(self) -> None:
        self.client.close()

    def _check_target(self, url: str) -> None:
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise PermanentError(f"refusing non-http(s) URL {url!r}", kind="invalid_url")
        if not self.allow_private and _is_private(parts.hostname):
            raise PermanentError(
                f"refusing {parts.hostname}: private, loopback or link-local address "
                "(set STORYLINE_ALLOW_PRIVATE_ADDRESSES=true to crawl local servers)",
                kind="private_address",
            )

    def get(self, url: str, headers: dict[str, str] | None = None) -> HttpResult:
        current = url
        for _hop in range(self.max_redirects + 1):
            self._check_target(current)
            try:
                with self.client.stream("GET", current, headers=headers or {}) as resp:
                    if resp.status_code in _REDIRECTS:
                        location = resp.headers.get("location")
                        if not location:
                            raise PermanentError(f"redirect without Location from {current}", kind="bad_redirect")
                        current = urljoin(current, location)
                        continue
                    body = self._read_capped(resp, current)
                    result = HttpResult(
                        url=url,
                        final_url=current,
                        status=resp.status_code,
                        headers={k.lower(): v for k, v in resp.headers.items()},
                        body=body,
                    )
            except httpx.TimeoutException as exc:
                raise TransientError(f"timed out fetching {current}: {exc.__class__.__name__}") from exc
            except httpx.TransportError as exc:
                raise TransientError(f"network error fetching {current}: {exc}") from exc
            if result.status in _RETRYABLE:
                wait = parse_retry_after(result.header("retry-after"), datetime.now(UTC))
                hint = f" (Retry-After {wait:.0f} s)" if wait is not None else ""
                raise TransientError(
                    f"HTTP {result.status} from {current}{hint}", kind=f"http_{result.status}", retry_after_s=wait
                )
            if result.status >= 400:
                raise PermanentError(f"HTTP {result.status} from {current}", kind=f"http_{result.status}")
            return result
        raise PermanentError(f"more than {self.max_redirects} redirects starting at {url}", kind="redirect_loop")

    def _read_capped(self, resp: httpx.Response, url: str) -> bytes:
        declared = resp.headers.get("content-length")
        if declared and declared.isdigit() and int(declared) > self.max_bytes:
            raise PermanentError(
                f"{url} is {int(declared):,} bytes, over the {self.max_bytes:,}-byte cap", kind="too_large"
            )
        # iter_bytes decodes gzip/deflate as it goes, so the cap also stops decompression bombs.
        chunks: list[bytes] = []
        total = 0
        try:
            for chunk in resp.iter_bytes():
                total += len(chunk)
                if total > self.max_bytes:
                    raise PermanentError(
                        f"{url} exceeds the {self.max_bytes:,}-byte cap (after decompression)", kind="too_large"
                    )
                chunks.append(chunk)
        except (httpx.DecodingError, zlib.error) as exc:
            raise PermanentError(f"{url} has a corrupt compressed body: {exc}", kind="bad_encoding") from exc
        return b"".join(chunks)


def read_text(location: str, timeout_s: float = 30.0) -> str:
    """A registry or gold file given by path or http(s) URL (operator-supplied, so no private-address guard)."""
    if location.startswith(("http://", "https://")):
        try:
            resp = httpx.get(location, timeout=timeout_s, follow_redirects=True)
            resp.raise_for_status()
        except httpx.HTTPError as exc:
            raise TransientError(f"cannot read {location}: {exc}") from exc
        return resp.text
    from pathlib import Path

    try:
        return Path(location).read_text(encoding="utf-8")
    except OSError as exc:
        raise PermanentError(f"cannot read {location}: {exc.strerror}", kind="config") from exc
