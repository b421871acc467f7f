"""Use cases (crawl, extract, dedup, cluster, enrich, the embedded pipeline), written against ports only."""
