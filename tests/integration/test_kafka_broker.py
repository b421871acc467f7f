"""The real Kafka broker (infra/kafka/broker.sh) carries every topic of infra/kafka/topics.yaml as declared.

Talks to the broker with the standard library only: a few non-flexible Kafka protocol requests
(ApiVersions v0, Metadata v4-v8, DescribeConfigs v1-v3) over one socket, so it needs no client package.
"""

from __future__ import annotations

import socket
import struct
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import pytest
import yaml

TOPICS_FILE = Path(__file__).resolve().parents[2] / "infra" / "kafka" / "topics.yaml"
# The broker is the test run's (tests/conftest.py: started by infra/kafka/broker.sh, or given by
# STORYLINE_TEST_KAFKA_BOOTSTRAP); these tests read what the script created, before any test recreates topics.
needs_broker = pytest.mark.usefixtures("kafka_broker")

API_METADATA = 3
API_API_VERSIONS = 18
API_DESCRIBE_CONFIGS = 32
RESOURCE_TOPIC = 2
T = TypeVar("T")


class Reader:
    """Big-endian reader for the non-flexible (classic) Kafka encodings."""

    def __init__(self, data: bytes) -> None:
        self.data = data
        self.pos = 0

    def _take(self, fmt: str) -> Any:
        (value,) = struct.unpack_from(fmt, self.data, self.pos)
        self.pos += struct.calcsize(fmt)
        return value

    def int8(self) -> int:
        return int(self._take(">b"))

    def int16(self) -> int:
        return int(self._take(">h"))

    def int32(self) -> int:
        return int(self._take(">i"))

    def boolean(self) -> bool:
        return self.int8() != 0

    def nullable_string(self) -> str | None:
        size = self.int16()
        if size < 0:
            return None
        value = self.data[self.pos : self.pos + size].decode("utf-8")
        self.pos += size
        return value

    def string(self) -> str:
        value = self.nullable_string()
        assert value is not None, "unexpected null string"
        return value

    def array(self, item: Callable[[], T]) -> list[T]:
        size = self.int32()
        return [item() for _ in range(max(size, 0))]


def enc_string(value: str) -> bytes:
    raw = value.encode("utf-8")
    return struct.pack(">h", len(raw)) + raw


def enc_array(items: list[bytes]) -> bytes:
    return struct.pack(">i", len(items)) + b"".join(items)


@dataclass(frozen=True)
class TopicMetadata:
    error_code: int
    partitions: int
    replication_factors: frozenset[int]


class KafkaWire:
    """One connection to one broker; request/response with header v1 / response header v0."""

    def __init__(self, bootstrap: str, timeout: float = 10.0) -> None:
        host, _, port = bootstrap.split(",", maxsplit=1)[0].strip().rpartition(":")
        self.sock = socket.create_connection((host, int(port)), timeout=timeout)
        self.correlation = 0
        self.versions = self._api_versions()

    def close(self) -> None:
        self.sock.close()

    def _recv(self, size: int) -> bytes:
        chunks = bytearray()
        while len(chunks) < size:
            chunk = self.sock.recv(size - len(chunks))
            if not chunk:
                raise ConnectionError("broker closed the connection")
            chunks += chunk
        return bytes(chunks)

    def request(self, api_key: int, version: int, body: bytes) -> Reader:
        self.correlation += 1
        header = struct.pack(">hhi", api_key, version, self.correlation) + enc_string("storyline-test")
        payload = header + body
        self.sock.sendall(struct.pack(">i", len(payload)) + payload)
        (size,) = struct.unpack(">i", self._recv(4))
        reader = Reader(self._recv(size))
        assert reader.int32() == self.correlation, "correlation id mismatch"
        return reader

    def _api_versions(self) -> dict[int, tuple[int, int]]:
        reader = self.request(API_API_VERSIONS, 0, b"")
        assert reader.int16() == 0, "ApiVersions failed"
        entries = reader.array(lambda: (reader.int16(), reader.int16(), reader.int16()))
        return {key: (low, high) for key, low, high in entries}

    def pick(self, api_key: int, low: int, high: int) -> int:
        """Highest version both we (low..high, all non-flexible) and the broker speak."""
        broker_low, broker_high = self.versions[api_key]
        version = min(high, broker_high)
        assert version >= max(low, broker_low), f"no common version for API {api_key}: broker {self.versions[api_key]}"
        return version

    def metadata(self, topics: list[str], *, allow_auto_create: bool = False) -> dict[str, TopicMetadata]:
        v = self.pick(API_METADATA, 4, 8)
        body = enc_array([enc_string(t) for t in topics]) + struct.pack(">?", allow_auto_create)
        if v >= 8:
            body += b"\x00\x00"  # no authorized-operations lists
        r = self.request(API_METADATA, v, body)
        r.int32()  # throttle_time_ms
        r.array(lambda: (r.int32(), r.string(), r.int32(), r.nullable_string()))  # brokers
        r.nullable_string()  # cluster_id
        r.int32()  # controller_id

        def partition() -> int:
            r.int16()  # error_code
            r.int32()  # partition_index
            r.int32()  # leader_id
            if v >= 7:
                r.int32()  # leader_epoch
            replicas = r.array(r.int32)
            r.array(r.int32)  # isr_nodes
            if v >= 5:
                r.array(r.int32)  # offline_replicas
            return len(replicas)

        def topic() -> tuple[str, TopicMetadata]:
            error_code, name = r.int16(), r.string()
            r.boolean()  # is_internal
            replicas = r.array(partition)
            if v >= 8:
                r.int32()  # topic_authorized_operations
            return name, TopicMetadata(error_code, len(replicas), frozenset(replicas))

        return dict(r.array(topic))

    def topic_configs(self, topics: list[str]) -> dict[str, dict[str, str | None]]:
        v = self.pick(API_DESCRIBE_CONFIGS, 1, 3)
        resources = [struct.pack(">b", RESOURCE_TOPIC) + enc_string(t) + struct.pack(">i", -1) for t in topics]
        body = enc_array(resources) + b"\x00"  # include_synonyms=false
        if v >= 3:
            body += b"\x00"  # include_documentation=false
        r = self.request(API_DESCRIBE_CONFIGS, v, body)
        r.int32()  # throttle_time_ms

        def entry() -> tuple[str, str | None]:
            name, value = r.string(), r.nullable_string()
            r.boolean()  # read_only
            r.int8()  # config_source
            r.boolean()  # is_sensitive
            r.array(lambda: (r.string(), r.nullable_string(), r.int8()))  # synonyms
            if v >= 3:
                r.int8()  # config_type
                r.nullable_string()  # documentation
            return name, value

        def result() -> tuple[str, dict[str, str | None]]:
            error_code, message = r.int16(), r.nullable_string()
            r.int8()  # resource_type
            name = r.string()
            configs = dict(r.array(entry))
            assert error_code == 0, f"DescribeConfigs {name}: error {error_code} {message}"
            return name, configs

        return dict(r.array(result))


def declared_topics() -> list[dict[str, Any]]:
    data = yaml.safe_load(TOPICS_FILE.read_text(encoding="utf-8"))
    assert isinstance(data, list)
    return data


@pytest.fixture
def wire(kafka_broker: Any) -> Iterator[KafkaWire]:
    conn = KafkaWire(kafka_broker.bootstrap)
    yield conn
    conn.close()


def test_topics_file_declares_every_stage_with_a_dlq() -> None:
    topics = {t["name"]: t for t in declared_topics()}
    stages = [n for n in topics if not n.endswith(".dlq")]
    assert set(stages) == {
        "storyline.articles.fetched",
        "storyline.articles.backfill",
        "storyline.articles.extracted",
        "storyline.articles.deduplicated",
        "storyline.stories.assigned",
        "storyline.stories.updated",
    }
    for name in stages:
        # Clustering is a single writer (ADR 0004); the other stage topics scale out over 6 partitions.
        assert topics[name]["partitions"] == (1 if name == "storyline.articles.deduplicated" else 6)
        dlq = topics[f"{name}.dlq"]
        assert dlq["partitions"] == 1
        assert dlq["config"]["retention.ms"] == str(30 * 24 * 3600 * 1000)
    assert all(t["replication_factor"] == 1 for t in topics.values())
    assert topics["storyline.stories.updated"]["config"]["cleanup.policy"] == "compact"


@needs_broker
def test_every_declared_topic_exists_with_its_partitions(wire: KafkaWire) -> None:
    declared = declared_topics()
    found = wire.metadata([t["name"] for t in declared])
    for t in declared:
        meta = found.get(t["name"])
        assert meta is not None and meta.error_code == 0, f"{t['name']} missing: {meta}"
        assert meta.partitions == t["partitions"], t["name"]
        assert meta.replication_factors == {t["replication_factor"]}, t["name"]


@needs_broker
def test_topic_configs_match_the_file(wire: KafkaWire) -> None:
    declared = declared_topics()
    configs = wire.topic_configs([t["name"] for t in declared])
    assert configs["storyline.stories.updated"]["cleanup.policy"] == "compact"
    for t in declared:
        for key, value in (t.get("config") or {}).items():
            assert configs[t["name"]].get(key) == str(value), f"{t['name']}: {key}"


@needs_broker
def test_topics_are_not_created_on_demand(wire: KafkaWire) -> None:
    """auto.create.topics.enable=false: a typo in a topic name fails loudly instead of making a new topic."""
    missing = "storyline.no-such-topic"
    assert wire.metadata([missing], allow_auto_create=True)[missing].error_code == 3  # UNKNOWN_TOPIC_OR_PARTITION
    assert wire.metadata([missing])[missing].error_code == 3
