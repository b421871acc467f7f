"""Kafka adapters on kafka-python: an idempotent producer, a manual-commit consumer, and a DLQ sink."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence
from datetime import UTC
from typing import Any

from kafka import ConsumerRebalanceListener, KafkaConsumer, KafkaProducer, OffsetAndMetadata, TopicPartition
from kafka.errors import KafkaError, KafkaTimeoutError
from tenacity import RetryError, Retrying, retry_if_exception_type, stop_after_attempt, stop_before_delay, wait_fixed

from storyline.domain.errors import TransientError
from storyline.domain.health import GroupReading, StreamInput
from storyline.domain.records import DeadLetter
from storyline.events import dlq_topic
from storyline.ports import InRecord

log = logging.getLogger(__name__)
_MAX_HEADER_MESSAGE = 1000
_DLQ = "dlq."  # prefix of the headers a dead letter adds; the record's own headers are kept beside them


# The consumer group no worker joins, whose committed offsets mark what finished runs (crawls, backfills) have
# published: a topic's records below them came from a run that has ended, so no more of that run will come.
RUNS_COMPLETE_GROUP = "storyline-runs-complete"


class KafkaPublisher:
    """acks=all + idempotence: a retried send never duplicates a record within a producer session."""

    def __init__(self, bootstrap: str, client_id: str, compression: str = "zstd") -> None:
        self.bootstrap, self.client_id = bootstrap, client_id
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
        self._delivered: dict[TopicPartition, int] = {}  # per partition, the offset after this one's last record

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
        for future in self._pending:
            if future.succeeded():
                meta = future.value
                tp = TopicPartition(meta.topic, meta.partition)
                self._delivered[tp] = max(self._delivered.get(tp, 0), meta.offset + 1)
        self._pending.clear()
        if failed:
            raise TransientError(f"{len(failed)} records were not delivered: {failed[0].exception}")

    def mark_complete(self) -> None:
        """Say that the run that published through this publisher has ended: move RUNS_COMPLETE_GROUP's offsets up
        to this publisher's last delivered records (never down). A reordering worker then knows that nothing more
        of that run is coming (ADR 0025). Call it after `flush`. Best effort: without the mark, workers wait out
        their timed quiet rule, as they do for a run that died."""
        if not self._delivered:
            return
        try:
            with _BrokerView(self.bootstrap, f"{self.client_id}-complete") as view:
                done = view.committed(RUNS_COMPLETE_GROUP)
                ahead = {tp: end for tp, end in self._delivered.items() if end > done.get(tp, 0)}
                if ahead:
                    marks = {tp: OffsetAndMetadata(end, "", -1) for tp, end in ahead.items()}
                    view.admin.alter_group_offsets(RUNS_COMPLETE_GROUP, marks)
        except KafkaError as exc:
            log.warning("could not mark the run's records complete (%s); workers will wait for quiet instead", exc)

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


def in_record(tp: TopicPartition, r: Any) -> InRecord:
    """A consumed Kafka record as the stages read it: a tombstone's value and a header's null value as b""."""
    return InRecord(
        tp.topic,
        tp.partition,
        r.offset,
        r.key,
        r.value if r.value is not None else b"",
        r.timestamp,
        tuple((k, v if v is not None else b"") for k, v in r.headers or ()),
    )


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
            out.extend(in_record(tp, r) for r in records)
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


def worker_group(stage: str, backfill: bool = False) -> str:
    """The consumer group of a stage's workers; the backfill topic's extract workers have their own."""
    return f"storyline-{stage}" + ("-backfill" if backfill else "")


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

    def probe() -> None:
        with _BrokerView(bootstrap, "storyline-probe", timeout_ms=5000) as view:
            view.admin.list_topics()

    try:
        Retrying(
            # Another try every 0.5 s while one still starts within timeout_s.
            stop=stop_before_delay(timeout_s),
            wait=wait_fixed(0.5),
            retry=retry_if_exception_type(KafkaError),  # NoBrokersAvailable, "Unable to bootstrap" and friends
            reraise=True,
        )(probe)
    except KafkaError as last:
        raise TransientError(
            f"no Kafka broker at {bootstrap} ({last}); start one with `infra/kafka/broker.sh start` "
            "or set STORYLINE_KAFKA_BOOTSTRAP"
        ) from last


class _BrokerView:
    """Offsets, committed positions and group members, read through one admin client.

    The admin client, not a consumer: a consumer without a group warns "group_id is None" on every start (status
    and `wait_until_drained` make dozens), and it cannot tell group members anyway.
    """

    def __init__(self, bootstrap: str, client_id: str, timeout_ms: int = 10000) -> None:
        from kafka import KafkaAdminClient

        self.admin = KafkaAdminClient(
            bootstrap_servers=bootstrap,
            client_id=client_id,
            request_timeout_ms=timeout_ms,
            bootstrap_timeout_ms=timeout_ms,
        )

    def __enter__(self) -> _BrokerView:
        return self

    def __exit__(self, *exc: object) -> None:
        self.admin.close()

    def partitions(self, topic: str) -> list[TopicPartition]:
        """The topic's partitions; none when it does not exist (the admin client never creates it)."""
        (meta,) = self.admin.describe_topics([topic])
        return [TopicPartition(topic, int(p["partition_index"])) for p in sorted(meta["partitions"], key=_index)]

    def offsets(self, tps: list[TopicPartition], *, earliest: bool = False) -> dict[TopicPartition, int]:
        from kafka.admin import OffsetSpec

        if not tps:
            return {}
        spec = OffsetSpec.EARLIEST if earliest else OffsetSpec.LATEST
        return {tp: int(o.offset) for tp, o in self.admin.list_partition_offsets(dict.fromkeys(tps, spec)).items()}

    def committed(self, group: str) -> dict[TopicPartition, int]:
        """The group's committed offsets (partitions never committed are absent)."""
        done = self.admin.list_group_offsets({group: None}).get(group, {})
        return {tp: int(o.offset) for tp, o in done.items() if o is not None and o.offset >= 0}

    def lag(self, group: str, topic: str) -> int:
        """Records in `topic` the group has not committed yet (all partitions; from 0 where it never committed)."""
        ends = self.offsets(self.partitions(topic))
        done = self.committed(group)
        return sum(max(0, end - done.get(tp, 0)) for tp, end in ends.items())

    def live_size(self, dlq: str, replay_group: str) -> int:
        """Records of a DLQ its replay group has not replayed yet (see KafkaDeadLetters): replayed copies and
        records retention removed are not counted."""
        tps = self.partitions(dlq)
        ends, starts = self.offsets(tps), self.offsets(tps, earliest=True)
        replayed = self.committed(replay_group)
        return sum(max(0, ends[tp] - max(starts[tp], replayed.get(tp, -1))) for tp in tps)

    def members(self, groups: list[str]) -> dict[str, int]:
        """Members per group; a group the broker does not know (never joined, or deleted) has none."""
        described = self.admin.describe_groups(groups)
        return {g: len(described.get(g, {}).get("members") or []) for g in groups}


class UpstreamProbe:
    """Whether nothing more can reach a reordering worker for now: every earlier stage's group has committed all
    its input (a worker commits only after its outputs are delivered, and holds nothing uncommitted), and this
    worker has read to the end of its own. One admin client for the worker's life; a broker error answers
    "not idle", which leaves the timed quiet rule in charge."""

    def __init__(self, bootstrap: str, upstream: Sequence[tuple[str, str]], own: KafkaStreamConsumer) -> None:
        self.upstream, self.own = upstream, own  # (group, topic): what must be committed for nothing to be coming
        self._view = _BrokerView(bootstrap, "storyline-upstream")

    def __call__(self) -> bool:
        try:
            return self.own.lag() == 0 and all(self._view.lag(g, t) == 0 for g, t in self.upstream)
        except KafkaError:
            return False

    def close(self) -> None:
        self._view.admin.close()


def _index(partition: dict[str, Any]) -> int:
    return int(partition["partition_index"])


def group_lag(bootstrap: str, group: str, topic: str) -> int:
    """Records in `topic` not yet committed by consumer group `group` (all partitions)."""
    try:
        with _BrokerView(bootstrap, "storyline-lag") as view:
            return view.lag(group, topic)
    except KafkaError as exc:
        raise TransientError(f"cannot read lag of {group} on {topic}: {exc}") from exc


def stream_status(
    bootstrap: str,
    inputs: Sequence[StreamInput],
    lag_interval_s: float = 0.0,
    sleep: Callable[[float], None] = time.sleep,
) -> list[GroupReading]:
    """Each worker group's members, its lag sampled twice `lag_interval_s` apart (once when 0), and the live
    size of its input's dead-letter topic."""
    try:
        with _BrokerView(bootstrap, "storyline-status") as view:
            before = {i.group: view.lag(i.group, i.topic) for i in inputs}
            if lag_interval_s > 0:
                sleep(lag_interval_s)
            members = view.members([i.group for i in inputs])
            return [
                GroupReading(
                    input=i,
                    members=members[i.group],
                    lag_before=before[i.group],
                    lag=view.lag(i.group, i.topic) if lag_interval_s > 0 else before[i.group],
                    dead_letters=view.live_size(i.dlq, i.replay_group),
                    interval_s=max(0.0, lag_interval_s),
                )
                for i in inputs
            ]
    except KafkaError as exc:
        raise TransientError(f"cannot read consumer groups and topic sizes from {bootstrap}: {exc}") from exc


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
        # Deletion completes asynchronously; creation succeeds once it has.
        creating = Retrying(
            stop=stop_after_attempt(100), wait=wait_fixed(0.3), retry=retry_if_exception_type(KafkaError)
        )
        try:
            creating(admin.create_topics, _new_topics(specs), timeout_ms=30000)
        except RetryError as exc:
            raise TransientError(f"could not recreate topics on {bootstrap}") from exc.last_attempt.exception()
    finally:
        admin.close()
