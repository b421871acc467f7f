"""Politeness rules as pure functions: robots.txt decisions, AI-training opt-outs, Retry-After."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import datetime, timedelta
from email.utils import parsedate_to_datetime
from typing import TypeVar

from protego import Protego

# Crawlers that collect text for training AI models. A site that disallows them has opted out; we record
# it per host (we do not train on anything, but downstream users of the archive must know).
AI_TRAINING_AGENTS = (
    "GPTBot",
    "CCBot",
    "Google-Extended",
    "ClaudeBot",
    "anthropic-ai",
    "PerplexityBot",
    "Bytespider",
    "Applebot-Extended",
    "meta-externalagent",
    "cohere-ai",
)


T = TypeVar("T")


def interleave_by_host(items: Sequence[T], host: Callable[[T], str]) -> list[T]:
    """Round-robin across hosts, each host's items in their own order: consecutive requests go to different
    hosts, so each host's delay passes while the others are fetched instead of in a sleep (a plan grouped by
    source sleeps its delay before every page but the first)."""
    queues: dict[str, list[T]] = {}
    for item in items:
        queues.setdefault(host(item), []).append(item)
    out: list[T] = []
    for rank in range(max((len(q) for q in queues.values()), default=0)):
        out.extend(q[rank] for q in queues.values() if rank < len(q))
    return out


def next_ready(heads: Mapping[T, int], ready_at: Mapping[T, datetime], now: datetime) -> T | None:
    """Of the hosts ready at `now`, the one whose next item comes first (`heads`: each host's next plan position);
    None when none is ready. A host that is not ready is passed over, never waited for while another is ready."""
    ready = [host for host in heads if ready_at[host] <= now]
    return min(ready, key=lambda host: heads[host], default=None)


def parse_robots(text: str) -> Protego:
    return Protego.parse(text)


def ai_training_optouts(robots: Protego, probe_url: str) -> list[str]:
    """The AI-training agents this robots.txt shuts out of the site's root."""
    return [agent for agent in AI_TRAINING_AGENTS if not robots.can_fetch(probe_url, agent)]


def parse_retry_after(value: str | None, now: datetime) -> float | None:
    """Seconds to wait from a Retry-After header (delta-seconds or an HTTP date); None when absent or invalid."""
    if not value:
        return None
    text = value.strip()
    if text.isdigit():
        return float(text)
    try:
        when = parsedate_to_datetime(text)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        return None
    return max(0.0, (when - now).total_seconds())


def next_poll_due(history: list[tuple[str, datetime]], base: timedelta, cap: timedelta) -> datetime | None:
    """When a feed should next be polled, given its recent decisions (newest first: outcome, time).

    Feeds that keep answering "not modified" are polled less often: after k >= 2 unchanged polls in a row the
    interval doubles per poll (base·2^(k-1), at most `cap`); one change resets it. None means "poll now"."""
    polls = [(o, t) for o, t in history if o in ("fetched", "not-modified")]
    unchanged = 0
    for outcome, _ in polls:
        if outcome != "not-modified":
            break
        unchanged += 1
    if unchanged < 2:
        return None
    interval: timedelta = min(cap, base * (2 ** (unchanged - 1)))
    last: datetime = polls[0][1]
    return last + interval
