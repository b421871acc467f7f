"""Kafka workers: one small entry module per stage, sharing `loop.run_worker`."""
