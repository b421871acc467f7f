"""Prometheus metrics for workers: records by outcome, retries, DLQ count, processing time, consumer lag."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, start_http_server


class PrometheusMetrics:
    def __init__(self, registry: CollectorRegistry | None = None) -> None:
        self.registry = registry or CollectorRegistry()
        self.records = Counter(
            "storyline_records_total",
            "Records processed, by stage and outcome",
            ["stage", "outcome"],
            registry=self.registry,
        )
        self.dead_letters = Counter(
            "storyline_dead_letters_total", "Records sent to the dead-letter queue", ["stage"], registry=self.registry
        )
        self.retries = Counter(
            "storyline_retries_total", "Transient-error retries and outage rewinds", ["stage"], registry=self.registry
        )
        self.seconds = Histogram(
            "storyline_processing_seconds",
            "Time to process one record, with its share of its batch's look-ahead and flush",
            ["stage"],
            registry=self.registry,
            buckets=(0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
        )
        self.consumer_lag = Gauge(
            "storyline_consumer_lag",
            "Records behind the log end on owned partitions",
            ["stage"],
            registry=self.registry,
        )

    def record(self, stage: str, outcome: str, seconds: float) -> None:
        self.records.labels(stage, outcome).inc()
        self.seconds.labels(stage).observe(seconds)
        if outcome == "dead_lettered":
            self.dead_letters.labels(stage).inc()

    def retry(self, stage: str) -> None:
        self.retries.labels(stage).inc()

    def lag(self, stage: str, value: int) -> None:
        self.consumer_lag.labels(stage).set(value)

    def serve(self, port: int, host: str = "127.0.0.1") -> None:
        """Expose /metrics over HTTP in a daemon thread."""
        start_http_server(port, addr=host, registry=self.registry)
