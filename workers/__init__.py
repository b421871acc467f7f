"""Kafka workers: one small entry module per stage, each running `storyline.bootstrap.run_worker`."""
