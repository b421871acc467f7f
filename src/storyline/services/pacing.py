"""Politeness in time: each host's next slot, its crawl delay and its Retry-After, shared across processes."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from storyline.ports import Clock, HostSlots, Sleeper


class HostPacer:
    """Spaces requests to one host by at least its delay and keeps away from a host for as long as it asked; with
    `slots` (the warehouse) both also hold across processes, e.g. two mapped DAG tasks on one host. `ready_at` says
    when a host may next be sent to, so a crawl can send to another host meanwhile instead of sleeping."""

    def __init__(self, clock: Clock, sleep: Sleeper, default_delay_s: float, slots: HostSlots | None = None) -> None:
        self.clock, self.sleep, self.default, self.slots = clock, sleep, default_delay_s, slots
        self.last: dict[str, datetime] = {}
        self.delays: dict[str, float] = {}  # crawl-delay from robots.txt, or a source's override
        self.not_before: dict[str, datetime] = {}  # Retry-After: the host asked us to stay away until then
        self.reserved: dict[str, datetime] = {}  # the start of a shared slot taken for the host's next request

    def delay_for(self, host: str) -> float:
        return max(self.default, self.delays.get(host, 0.0))

    def ready_at(self, host: str) -> datetime:
        """When a request to `host` may go, as far as this process knows (before a shared slot is taken)."""
        if host in self.reserved:
            return self.reserved[host]
        at = self.clock.now()
        last = self.last.get(host)
        if last is not None:
            at = max(at, last + timedelta(seconds=self.delay_for(host)))
        until = self.not_before.get(host)
        return at if until is None else max(at, until)

    def reserve(self, host: str) -> datetime:
        """Take the slot of the host's next request (from the slots every crawler process shares) and say when it
        starts; the request that follows uses it."""
        if host not in self.reserved:
            at, delay = self.ready_at(host), self.delay_for(host)
            if self.slots is not None and delay > 0:
                # No delay, no shared slot: an unpaced host (the loopback replay) costs no round trip per request.
                start = self.slots.reserve_host_slot(host, at.timestamp(), delay)
                at = max(at, datetime.fromtimestamp(start, UTC))
            self.reserved[host] = at
        return self.reserved[host]

    def wait(self, host: str) -> None:
        """Sleep until the host's next slot, and use it."""
        pause = (self.reserve(host) - self.clock.now()).total_seconds()
        if pause > 0:
            self.sleep(pause)
        del self.reserved[host]
        self.last[host] = self.clock.now()

    def back_off(self, host: str, seconds: float) -> None:
        self.not_before[host] = self.clock.now() + timedelta(seconds=seconds)
        if self.slots is not None:
            self.slots.push_back_host(host, self.not_before[host].timestamp())
