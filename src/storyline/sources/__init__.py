"""Source registry: the sources.yaml schema and its loader."""
