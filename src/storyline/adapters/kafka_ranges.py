"""Reading Kafka topics back between two marks (end offsets taken before and after a run), outside any group."""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence

from kafka import KafkaConsumer, TopicPartition
from kafka.errors import KafkaError

from storyline.adapters.kafka import in_record
from storyline.domain.errors import TransientError
from storyline.ports import InRecord

log = logging.getLogger(__name__)

Marks = dict[tuple[str, int], int]


def _consumer(bootstrap: str) -> KafkaConsumer:
    # No group: reading a range must neither join the workers' groups nor commit anything.
    return KafkaConsumer(
        bootstrap_servers=bootstrap, group_id=None, enable_auto_commit=False, client_id="storyline-read"
    )


def end_offsets(bootstrap: str, topics: Sequence[str]) -> Marks:
    """The next offset of every partition of `topics` (a topic that does not exist yet has none)."""
    consumer = _consumer(bootstrap)
    try:
        consumer.topics()  # load metadata first: partitions_for_topic is empty until it is known
        tps = [TopicPartition(t, p) for t in topics for p in sorted(consumer.partitions_for_topic(t) or ())]
        ends = consumer.end_offsets(tps) if tps else {}
    except KafkaError as exc:
        raise TransientError(f"cannot read end offsets: {exc}") from exc
    finally:
        consumer.close()
    return {(tp.topic, tp.partition): int(o) for tp, o in ends.items()}


def read_between(bootstrap: str, start: Marks, end: Marks, timeout_s: float = 60.0) -> list[InRecord]:
    """The records from `start` (a partition absent there: from its beginning) up to `end`, in offset order per
    partition. Stops after `timeout_s` without progress and returns what it read (a log line says so)."""
    wanted = {tp: (start.get(tp, 0), stop) for tp, stop in end.items() if stop > start.get(tp, 0)}
    if not wanted:
        return []
    consumer = _consumer(bootstrap)
    out: list[InRecord] = []
    try:
        parts = {TopicPartition(t, p): bounds for (t, p), bounds in wanted.items()}
        consumer.assign(list(parts))
        for tp, (first, _) in parts.items():
            consumer.seek(tp, first)
        progress = time.monotonic()
        while any(consumer.position(tp) < stop for tp, (_, stop) in parts.items()):
            if time.monotonic() - progress > timeout_s:
                log.warning("gave up reading %s after %.0f s without a record", sorted(wanted), timeout_s)
                break
            for tp, records in consumer.poll(timeout_ms=500).items():
                stop = parts[tp][1]
                out.extend(in_record(tp, r) for r in records if r.offset < stop)  # as the workers read them
                progress = time.monotonic()
    except KafkaError as exc:
        raise TransientError(f"cannot read {sorted(wanted)}: {exc}") from exc
    finally:
        consumer.close()
    return sorted(out, key=lambda r: (r.topic, r.partition, r.offset))
