"""Kafka adapters on kafka-python: an idempotent producer, a manual-commit consumer, and a DLQ sink."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from datetime import UTC
from typing import Any

from kafka import ConsumerRebalanceListener, KafkaConsumer, KafkaProducer, OffsetAndMetadata, TopicPartition
from kafka.errors import KafkaError, KafkaTimeoutError

from storyline.domain.errors import TransientError
from storyline.domain.records import DeadLetter
from storyline.events import dlq_topic
from storyline.ports import InRecord

log = logging.getLogger(__name__)
_MAX_HEADER_MESSAGE = 1000
_DLQ = "dlq."  # prefix of the headers a dead letter adds; the record's own headers are kept beside them


class KafkaPublisher:
    """acks=all + idempotence: a retried send never duplicates a record within a producer session."""

    def __init__(self, bootstrap: str, client_id: str, compression: str = "zstd") -> None:
        try:
            self.producer = KafkaProducer(
                bootstrap_servers=bootstrap,
                client_id=client_id,
                acks="all",
                enable_idempotence=True,
                compression_type=compression,
                linger_ms=20,
                batch_size=256 * 1024,
                max_request_size=8 * 1024 * 1024,
                delivery_timeout_ms=120_000,
                request_timeout_ms=30_000,
            )
        except KafkaError as exc:
            raise TransientError(f"cannot connect a producer to {bootstrap}: {exc}") from exc
        self._pending: list[Any] = []

    def send(self, topic: str, key: str | None, value: bytes, headers: list[tuple[str, bytes]]) -> None:
        try:
            future = self.producer.send(
                topic, value=value, key=key.encode() if key is not None else None, headers=headers
            )
        except KafkaTimeoutError as exc:
            raise TransientError(f"producer buffer full or metadata unavailable for {topic}: {exc}") from exc
        self._pending.append(future)

    def flush(self, timeout_s: float = 120.0) -> None:
        """Wait for every send since the last flush; any failure means the batch must be replayed."""
        try:
            self.producer.flush(timeout=timeout_s)
        except KafkaError as exc:
            self._pending.clear()
            raise TransientError(f"flush failed: {exc}") from exc
        failed = [f for f in self._pending if f.failed()]
        self._pending.clear()
        if failed:
            raise TransientError(f"{len(failed)} records were not delivered: {failed[0].exception}")

    def close(self) -> None:
        self.producer.close(timeout=10)


class _Listener(ConsumerRebalanceListener):  # type: ignore[misc]
    def __init__(self, on_revoke: Callable[[], None], on_assign: Callable[[], None]) -> None:
        self.on_revoke, self.on_assign = on_revoke, on_assign

    def on_partitions_revoked(self, revoked: Any) -> None:
        if revoked:
            self.on_revoke()

    def on_partitions_assigned(self, assigned: Any) -> None:
        self.on_assign()


class KafkaStreamConsumer:
    """Consumer-group member with auto-commit off; the runner commits after outputs are delivered."""

    def __init__(
        self,
        bootstrap: str,
        topic: str,
        group_id: str,
        client_id: str,
        on_revoke: Callable[[], None] = lambda: None,
        on_assign: Callable[[], None] = lambda: None,
    ) -> None:
        self.topic = topic
        try:
            self.consumer = KafkaConsumer(
                bootstrap_servers=bootstrap,
                group_id=group_id,
                client_id=client_id,
                enable_auto_commit=False,
                auto_offset_reset="earliest",
                max_poll_interval_ms=600_000,
                session_timeout_ms=30_000,
                heartbeat_interval_ms=3_000,
                fetch_max_bytes=16 * 1024 * 1024,
            )
        except KafkaError as exc:
            raise TransientError(f"cannot connect a consumer to {bootstrap}: {exc}") from exc
        self.consumer.subscribe([topic], listener=_Listener(on_revoke, on_assign))

    def poll(self, max_records: int, timeout_s: float) -> list[InRecord]:
        try:
            batches = self.consumer.poll(timeout_ms=int(timeout_s * 1000), max_records=max_records)
        except KafkaError as exc:
            raise TransientError(f"poll failed: {exc}") from exc
        out: list[InRecord] = []
        for tp, records in sorted(batches.items(), key=lambda kv: kv[0].partition):
            out.extend(
                InRecord(
                    tp.topic,
                    tp.partition,
                    r.offset,
                    r.key,
                    r.value if r.value is not None else b"",
                    r.timestamp,
                    tuple((k, v if v is not None else b"") for k, v in r.headers or ()),
                )
                for r in records
            )
        return out

    def commit(self, next_offsets: dict[tuple[str, int], int]) -> None:
        if not next_offsets:
            return
        offsets = {TopicPartition(t, p): OffsetAndMetadata(o, "", -1) for (t, p), o in next_offsets.items()}
        try:
            self.consumer.commit(offsets=offsets)
        except KafkaError as exc:
            raise TransientError(f"offset commit failed: {exc}") from exc

    def rewind(self, offsets: dict[tuple[str, int], int]) -> None:
        assigned = self.consumer.assignment()
        for (t, p), offset in offsets.items():
            tp = TopicPartition(t, p)
            if tp in assigned:
                self.consumer.seek(tp, offset)

    def end_offsets(self) -> dict[tuple[str, int], int]:
        self.consumer.topics()  # load metadata first: partitions_for_topic is empty until it is known
        parts = self.consumer.partitions_for_topic(self.topic) or set()
        tps = [TopicPartition(self.topic, p) for p in sorted(parts)]
        try:
            ends = self.consumer.end_offsets(tps)
        except KafkaError as exc:
            raise TransientError(f"cannot read end offsets: {exc}") from exc
        return {(tp.topic, tp.partition): int(o) for tp, o in ends.items()}

    def committed_offsets(self) -> dict[tuple[str, int], int]:
        """This group's committed offsets on the topic (partitions never committed are absent)."""
        out: dict[tuple[str, int], int] = {}
        for t, p in self.end_offsets():
            committed = self.consumer.committed(TopicPartition(t, p))
            if committed is not None and committed >= 0:
                out[(t, p)] = int(committed)
        return out

    def lag(self) -> int:
        """Records behind the log end on the partitions this member owns (for the lag gauge)."""
        assigned = list(self.consumer.assignment())
        if not assigned:
            return 0
        try:
            ends = self.consumer.end_offsets(assigned)
            return sum(max(0, int(ends[tp]) - int(self.consumer.position(tp))) for tp in assigned)
        except KafkaError:
            return -1

    def close(self) -> None:
        self.consumer.close(autocommit=False)


def dlq_replay_group(stage: str) -> str:
    """The consumer group that replays a stage's DLQ: its committed offset is where the live dead letters start."""
    return f"storyline-{stage}-dlq-replay"


class KafkaDeadLetters:
    """DLQ sink: the original bytes and headers, untouched, plus headers saying what failed where.

    A Kafka log is append-only, so "one copy per failed record" is defined from the replay group's position: a
    replay (`worker STAGE --from-dlq`) reads the DLQ from that group's committed offset to the end it saw at start,
    and a record that fails again is appended anew (with the first failure's origin and the original headers)
    before the replay commits past the old copy. Readers from the replay group's position, and `stream_status`'s
    DLQ sizes, therefore see each failed record once however often it is replayed; the copies behind the
    committed offset are history until retention removes them.
    """

    def __init__(self, publisher: KafkaPublisher) -> None:
        self.publisher = publisher

    def record_dead_letter(self, letter: DeadLetter) -> None:
        origin = letter.origin
        if origin is None:
            return  # not from a stream (embedded mode): the warehouse table records it
        # A record replayed from the DLQ carries the dlq.* headers of its first failure: its identity stays the
        # record that first failed (topic, partition, offset), not the DLQ copy it was read from.
        previous = dict(origin.headers)
        topic = previous.get(_DLQ + "original_topic", origin.topic.encode()).decode()
        partition = previous.get(_DLQ + "original_partition", str(origin.partition).encode())
        offset = previous.get(_DLQ + "original_offset", str(origin.offset).encode())
        headers = [(k, v) for k, v in origin.headers if not k.startswith(_DLQ)] + [
            (_DLQ + "stage", letter.stage.encode()),
            (_DLQ + "error_class", letter.error_kind.encode()),
            (_DLQ + "error_message", letter.message[:_MAX_HEADER_MESSAGE].encode()),
            (_DLQ + "original_topic", topic.encode()),
            (_DLQ + "original_partition", partition),
            (_DLQ + "original_offset", offset),
            (_DLQ + "time", letter.at.astimezone(UTC).isoformat().encode()),
            (_DLQ + "attempts", str(letter.attempts).encode()),
        ]
        key = origin.key.decode("utf-8", "replace") if origin.key is not None else None
        self.publisher.send(dlq_topic(topic), key, origin.value, headers)


def wait_for_broker(bootstrap: str, timeout_s: float = 30.0) -> None:
    """Block until the broker answers metadata requests, or raise TransientError naming it."""
    deadline = time.monotonic() + timeout_s
    last: Exception | None = None
    while time.monotonic() < deadline:
        try:
            probe = KafkaConsumer(bootstrap_servers=bootstrap, request_timeout_ms=5000, bootstrap_timeout_ms=5000)
            probe.topics()
            probe.close()
            return
        except KafkaError as exc:  # NoBrokersAvailable and friends
            last = exc
            time.sleep(0.5)
    raise TransientError(
        f"no Kafka broker at {bootstrap} ({last}); start one with `infra/kafka/broker.sh start` "
        "or set STORYLINE_KAFKA_BOOTSTRAP"
    )


def group_lag(bootstrap: str, group: str, topic: str) -> int:
    """Records in `topic` not yet committed by consumer group `group` (all partitions)."""
    from kafka import KafkaAdminClient

    admin = KafkaAdminClient(bootstrap_servers=bootstrap, client_id="storyline-lag")
    probe = KafkaConsumer(bootstrap_servers=bootstrap)
    try:
        parts = probe.partitions_for_topic(topic) or set()
        tps = [TopicPartition(topic, p) for p in sorted(parts)]
        ends = probe.end_offsets(tps)
        committed = admin.list_group_offsets({group: None}).get(group, {})
        total = 0
        for tp in tps:
            done = committed.get(tp)
            total += int(ends[tp]) - (int(done.offset) if done is not None and done.offset >= 0 else 0)
        return total
    except KafkaError as exc:
        raise TransientError(f"cannot read lag of {group} on {topic}: {exc}") from exc
    finally:
        probe.close()
        admin.close()


def stream_status(bootstrap: str, stage_topics: dict[str, tuple[str, str]]) -> dict[str, Any]:
    """Lag of every stage's consumer group on its input topic, and the live size of every dead-letter topic: the
    records its replay group has not replayed yet (see KafkaDeadLetters), so a replayed copy is not counted."""
    from kafka import KafkaAdminClient

    lags = {stage: group_lag(bootstrap, f"storyline-{stage}", topic) for stage, (topic, _) in stage_topics.items()}
    replayed_by = {dlq_topic(topic): dlq_replay_group(stage) for stage, (topic, _) in stage_topics.items()}
    probe = KafkaConsumer(bootstrap_servers=bootstrap)
    admin = KafkaAdminClient(bootstrap_servers=bootstrap, client_id="storyline-status")
    try:
        sizes: dict[str, int] = {}
        for topic in sorted({t for pair in stage_topics.values() for t in pair}):
            dlq = dlq_topic(topic)
            parts = probe.partitions_for_topic(dlq) or set()
            tps = [TopicPartition(dlq, p) for p in sorted(parts)]
            if not tps:
                continue
            ends = probe.end_offsets(tps)
            starts = probe.beginning_offsets(tps)
            group = replayed_by.get(dlq)
            replayed = admin.list_group_offsets({group: None}).get(group, {}) if group else {}
            sizes[dlq] = 0
            for tp in tps:
                done = replayed.get(tp)
                start = max(int(starts[tp]), int(done.offset) if done is not None else -1)
                sizes[dlq] += max(0, int(ends[tp]) - start)
        return {"lag": lags, "dlq": sizes}
    except KafkaError as exc:
        raise TransientError(f"cannot read topic sizes from {bootstrap}: {exc}") from exc
    finally:
        probe.close()
        admin.close()


def wait_until_drained(
    bootstrap: str, groups: dict[str, str], quiet_checks: int = 3, interval_s: float = 1.0, timeout_s: float = 600.0
) -> bool:
    """Wait until every consumer group (group -> topic) has committed everything, `quiet_checks` times in a row.

    Several consecutive quiet checks, because a stage that has just caught up may still be producing into
    the next stage's topic.
    """
    quiet = 0
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        time.sleep(interval_s)
        try:
            lag = sum(group_lag(bootstrap, group, topic) for group, topic in groups.items())
        except TransientError:
            lag = -1  # a group coordinator is still being elected: not quiet yet
        quiet = quiet + 1 if lag == 0 else 0
        if quiet >= quiet_checks:
            return True
    return False


def _new_topics(specs: list[dict[str, Any]]) -> list[Any]:
    """topics.yaml entries as admin-client NewTopic objects (configs as strings, as Kafka takes them)."""
    from kafka.admin import NewTopic

    return [
        NewTopic(
            str(t["name"]),
            int(t["partitions"]),
            int(t.get("replication_factor", 1)),
            topic_configs={str(k): str(v) for k, v in (t.get("config") or {}).items()},
        )
        for t in specs
    ]


def ensure_topics(bootstrap: str, specs: list[dict[str, Any]]) -> list[str]:
    """Create the topics of topics.yaml that do not exist yet (existing ones are left alone); returns created."""
    from kafka import KafkaAdminClient

    admin = KafkaAdminClient(bootstrap_servers=bootstrap, client_id="storyline-topics")
    try:
        existing = set(admin.list_topics())
        new = [t for t in _new_topics(specs) if t.name not in existing]
        if new:
            admin.create_topics(new, timeout_ms=30000)
        return [t.name for t in new]
    except KafkaError as exc:
        raise TransientError(f"cannot create topics on {bootstrap}: {exc}") from exc
    finally:
        admin.close()


def recreate_topics(bootstrap: str, specs: list[dict[str, Any]], group_prefix: str = "storyline-") -> None:
    """Delete the given topics and the groups with `group_prefix`, then create the topics empty.

    Destructive: for tests and benchmarks that need a clean broker, never for production.
    """
    from kafka import KafkaAdminClient

    admin = KafkaAdminClient(bootstrap_servers=bootstrap, client_id="storyline-reset")
    try:
        names = {str(t["name"]) for t in specs}
        existing = [n for n in admin.list_topics() if n in names]
        if existing:
            admin.delete_topics(existing, timeout_ms=30000)
        groups = [g["group_id"] for g in admin.list_groups() if str(g["group_id"]).startswith(group_prefix)]
        if groups:
            admin.delete_groups(groups)
        deadline = time.monotonic() + 60
        while set(admin.list_topics()) & names and time.monotonic() < deadline:
            time.sleep(0.2)
        new = _new_topics(specs)
        for _ in range(100):  # deletion completes asynchronously; creation succeeds once it has
            try:
                admin.create_topics(new, timeout_ms=30000)
                return
            except KafkaError:
                time.sleep(0.3)
        raise TransientError(f"could not recreate topics on {bootstrap}")
    finally:
        admin.close()
