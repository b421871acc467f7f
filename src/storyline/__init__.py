"""Storyline: turns a news firehose into deduplicated, clustered, enriched stories."""

__version__ = "0.1.0"
