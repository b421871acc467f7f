"""HTTP fetcher on httpx: a total deadline, a size cap, a redirect limit and a guard against private addresses."""

from __future__ import annotations

import ipaddress
import socket
import ssl
import time
import zlib
from collections.abc import Callable, Iterable, Sequence
from contextvars import ContextVar
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urljoin, urlsplit

import httpcore
import httpx

from storyline.domain.errors import PermanentError, StorylineError, TransientError
from storyline.domain.politeness import parse_retry_after
from storyline.domain.records import HttpResult

_RETRYABLE = {408, 425, 429, 500, 502, 503, 504}
_REDIRECTS = {301, 302, 303, 307, 308}  # not 304: a not-modified answer is a result, not a hop

Resolver = Callable[[str], Sequence[str]]
"""A host name to the addresses it resolves to (the fetcher connects only to one of these, once checked)."""

# When the fetch under way must be over (time.monotonic()); every socket operation is bounded by what is left, so a
# server that drips a byte at a time cannot hold a fetch past its deadline with each read inside the read timeout.
_DEADLINE: ContextVar[float] = ContextVar("storyline_fetch_deadline", default=float("inf"))


def system_resolve(host: str) -> list[str]:
    """The addresses of `host` from the system resolver, in its order of preference."""
    try:
        infos = socket.getaddrinfo(host, None, type=socket.SOCK_STREAM)
    except socket.gaierror as exc:
        raise TransientError(f"cannot resolve {host}: {exc}") from exc
    return list(dict.fromkeys(str(info[4][0]) for info in infos))


def _is_public(address: str) -> bool:
    addr = ipaddress.ip_address(address)
    if isinstance(addr, ipaddress.IPv6Address) and addr.ipv4_mapped is not None:
        addr = addr.ipv4_mapped  # ::ffff:127.0.0.1 reaches loopback like 127.0.0.1
    # is_global is false for private, loopback, link-local, reserved, shared (CGNAT) and unspecified addresses.
    return addr.is_global and not addr.is_multicast


def _left(timeout: float | None, expired: type[Exception]) -> float:
    left = _DEADLINE.get() - time.monotonic()
    if left <= 0:
        raise expired("the fetch's total deadline has passed")
    return left if timeout is None else min(timeout, left)


class _DeadlineStream(httpcore.NetworkStream):
    """A connection whose every read, write and TLS handshake ends by the current fetch's deadline."""

    def __init__(self, inner: httpcore.NetworkStream) -> None:
        self.inner = inner

    def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        return self.inner.read(max_bytes, _left(timeout, httpcore.ReadTimeout))

    def write(self, buffer: bytes, timeout: float | None = None) -> None:
        self.inner.write(buffer, _left(timeout, httpcore.WriteTimeout))

    def close(self) -> None:
        self.inner.close()

    def start_tls(
        self, ssl_context: ssl.SSLContext, server_hostname: str | None = None, timeout: float | None = None
    ) -> httpcore.NetworkStream:
        # server_hostname is the URL's host name: SNI and certificate checks are on the name, not the address.
        tls = self.inner.start_tls(ssl_context, server_hostname, _left(timeout, httpcore.ConnectTimeout))
        return _DeadlineStream(tls)

    def get_extra_info(self, info: str) -> Any:
        return self.inner.get_extra_info(info)


class _CheckedBackend(httpcore.SyncBackend):
    """Resolves a host once, checks the addresses and connects to one of those very addresses: a name cannot answer
    a public address to the check and a private one to the connection (DNS rebinding). Every connection, so every
    redirect hop to a new origin, goes through here."""

    def __init__(self, resolve: Resolver, allow_private: bool) -> None:
        self.resolve, self.allow_private = resolve, allow_private

    def checked_addresses(self, host: str) -> list[str]:
        try:
            ipaddress.ip_address(host)
            addresses = [host]  # an address literal is its own answer
        except ValueError:
            addresses = list(self.resolve(host))
        if not addresses:
            raise TransientError(f"cannot resolve {host}: no address")
        refused = [a for a in addresses if not _is_public(a)]
        if refused and not self.allow_private:
            raise PermanentError(
                f"refusing {host}: private, loopback or link-local address {refused[0]} "
                "(set STORYLINE_ALLOW_PRIVATE_ADDRESSES=true to crawl local servers)",
                kind="private_address",
            )
        return addresses

    def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.NetworkStream:
        failure: Exception | None = None
        for address in self.checked_addresses(host):
            try:
                timeout = _left(timeout, httpcore.ConnectTimeout)
                stream = super().connect_tcp(address, port, timeout, local_address, socket_options)
            except httpcore.ConnectError as exc:
                failure = exc  # the next checked address may answer
                continue
            return _DeadlineStream(stream)
        assert failure is not None
        raise failure


class _CheckedTransport(httpx.HTTPTransport):
    """httpx's transport with its connection pool on the checked backend."""

    def __init__(self, backend: httpcore.NetworkBackend) -> None:
        super().__init__(trust_env=False)
        # httpx 0.28 takes no network backend of its own (proposed upstream in encode/httpx#3749): the pool is built
        # as HTTPTransport builds it, on ours. trust_env=False: no proxy from the environment, whose address the
        # guard would check instead of the target's.
        self._pool = httpcore.ConnectionPool(
            ssl_context=httpx.create_ssl_context(),
            max_connections=100,
            max_keepalive_connections=20,
            keepalive_expiry=5.0,
            network_backend=backend,
        )


class HttpxFetcher:
    """One transport (connection pooling); redirects followed by hand so each hop is checked."""

    def __init__(
        self,
        user_agent: str,
        timeout_s: float = 20.0,
        max_bytes: int = 10 * 1024 * 1024,
        max_redirects: int = 5,
        allow_private: bool = False,
        resolve: Resolver = system_resolve,
    ) -> None:
        self.max_bytes = max_bytes
        self.max_redirects = max_redirects
        self.timeout_s = timeout_s  # the whole fetch: every hop, headers and body
        self.headers = {"User-Agent": user_agent, "Accept": "*/*", "Accept-Encoding": "gzip, deflate"}
        self.timeout = httpx.Timeout(timeout_s, connect=min(10.0, timeout_s))
        self.backend = _CheckedBackend(resolve, allow_private)
        self.transport = _CheckedTransport(self.backend)

    def after_fork(self) -> None:
        """In a forked child: a transport of its own. The inherited one is left as it is, not closed: its pooled
        connections are the parent's too, and a request (or a TLS close) on them here would corrupt the parent's."""
        self.transport = _CheckedTransport(self.backend)

    def close(self) -> None:
        self.transport.close()

    def get(self, url: str, headers: dict[str, str] | None = None) -> HttpResult:
        """GET `url` within the total deadline. Whatever goes wrong is a PermanentError or a TransientError."""
        deadline = _DEADLINE.set(time.monotonic() + self.timeout_s)
        try:
            return self._get(url, headers or {})
        finally:
            _DEADLINE.reset(deadline)

    def _get(self, url: str, headers: dict[str, str]) -> HttpResult:
        current = _target(url, None)
        for _hop in range(self.max_redirects + 1):
            try:
                status, response_headers, location, body = self._send(current, headers)
            except StorylineError:
                raise
            except (httpx.HTTPError, httpx.InvalidURL, httpx.StreamError, ValueError, zlib.error) as exc:
                raise self._error(exc, current) from exc
            if location is not None:
                current = _target(location, current)
                continue
            result = HttpResult(url=url, final_url=current, status=status, headers=response_headers, body=body)
            if status in _RETRYABLE:
                wait = parse_retry_after(result.header("retry-after"), datetime.now(UTC))
                hint = f" (Retry-After {wait:.0f} s)" if wait is not None else ""
                raise TransientError(f"HTTP {status} from {current}{hint}", kind=f"http_{status}", retry_after_s=wait)
            if status >= 400:
                raise PermanentError(f"HTTP {status} from {current}", kind=f"http_{status}")
            return result
        raise PermanentError(f"more than {self.max_redirects} redirects starting at {url}", kind="redirect_loop")

    def _send(self, url: str, headers: dict[str, str]) -> tuple[int, dict[str, str], str | None, bytes]:
        """One request: (status, headers, the Location of a redirect or None, body)."""
        request = httpx.Request(
            "GET", url, headers={**self.headers, **headers}, extensions={"timeout": self.timeout.as_dict()}
        )
        # The transport, not a Client: a Client parses a redirect's Location even when not following it, and raises
        # on one like `javascript:…` before this code could record it.
        response = self.transport.handle_request(request)
        response.request = request
        try:
            lowered = {k.lower(): v for k, v in response.headers.items()}
            if response.status_code in _REDIRECTS:
                location = response.headers.get("location")
                if not location:
                    raise PermanentError(f"redirect without Location from {url}", kind="bad_redirect")
                return response.status_code, lowered, location, b""
            return response.status_code, lowered, None, self._read_capped(response, url)
        finally:
            response.close()

    def _error(self, exc: Exception, url: str) -> StorylineError:
        """An exception of httpx (or of the URL or the body) as the error that says how to route it."""
        if isinstance(exc, httpx.TimeoutException):
            if _DEADLINE.get() <= time.monotonic():
                return TransientError(f"timed out fetching {url}: no complete answer within {self.timeout_s:g} s")
            return TransientError(f"timed out fetching {url}: {exc.__class__.__name__}")
        if isinstance(exc, httpx.UnsupportedProtocol | httpx.InvalidURL | ValueError):
            return PermanentError(f"cannot fetch {url!r}: {exc}", kind="invalid_url")
        if isinstance(exc, httpx.LocalProtocolError):
            return PermanentError(f"cannot send the request for {url}: {exc}", kind="bad_request")
        if isinstance(exc, httpx.TransportError):
            return TransientError(f"network error fetching {url}: {exc}")
        if isinstance(exc, httpx.DecodingError | zlib.error):
            return PermanentError(f"{url} has a corrupt compressed body: {exc}", kind="bad_encoding")
        return PermanentError(f"fetching {url} failed: {exc.__class__.__name__}: {exc}", kind="http_error")

    def _read_capped(self, resp: httpx.Response, url: str) -> bytes:
        declared = resp.headers.get("content-length")
        if declared and declared.isdigit() and int(declared) > self.max_bytes:
            raise PermanentError(
                f"{url} is {int(declared):,} bytes, over the {self.max_bytes:,}-byte cap", kind="too_large"
            )
        # iter_bytes decodes gzip/deflate as it goes, so the cap also stops decompression bombs.
        chunks: list[bytes] = []
        total = 0
        for chunk in resp.iter_bytes():
            total += len(chunk)
            if total > self.max_bytes:
                raise PermanentError(
                    f"{url} exceeds the {self.max_bytes:,}-byte cap (after decompression)", kind="too_large"
                )
            chunks.append(chunk)
        return b"".join(chunks)


def _target(url: str, redirected_from: str | None) -> str:
    """The absolute URL to request (a redirect's Location resolved against the page that sent it), if it can be
    fetched at all; else a PermanentError naming it: a malformed URL is as malformed on the next run."""
    where = f"{redirected_from} redirects to {url!r}" if redirected_from else repr(url)
    kind = "bad_redirect" if redirected_from else "invalid_url"
    try:
        target = urljoin(redirected_from, url) if redirected_from else url
        parts = urlsplit(target)
        if parts.scheme not in ("http", "https"):
            raise PermanentError(f"refusing {where}: not an http(s) URL", kind=kind)
        if not httpx.URL(target).host:
            raise PermanentError(f"refusing {where}: no host", kind=kind)
        _ = parts.port  # raises on a port out of range, which httpx lets through to the socket
    except (ValueError, httpx.InvalidURL) as exc:
        raise PermanentError(f"refusing {where}: malformed URL ({exc})", kind=kind) from exc
    return target


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
