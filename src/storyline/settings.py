"""Settings from the environment (prefix STORYLINE_), read in main() or a task, never at import time."""

from __future__ import annotations

import logging
from pathlib import Path

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="STORYLINE_", env_file=None, extra="ignore")

    data_dir: Path = Field(default=Path(".storyline"), description="Embedded mode: SQLite file and raw archive.")
    database_url: SecretStr | None = Field(
        default=None, description="Any SQLAlchemy URL; default sqlite:///<data_dir>/storyline.db"
    )
    api_database_url: SecretStr | None = Field(
        default=None, description="Read API: a read-only role's database URL (default: the warehouse, read-only)."
    )
    # Passwords apart from their URLs: put into the URL escaped, so any character works (compose's "${VAR}" in a
    # URL cannot escape "@", "/" or "%").
    database_password: SecretStr | None = Field(
        default=None, description="Password for database_url (any characters; escaped into the URL)."
    )
    api_database_password: SecretStr | None = Field(
        default=None, description="Password for api_database_url (any characters; escaped into the URL)."
    )
    archive_dir: Path | None = Field(default=None, description="Raw page archive; default <data_dir>/raw")
    s3_bucket: str | None = Field(default=None, description="Set to archive raw pages in S3 instead of archive_dir.")
    s3_endpoint: str | None = Field(default=None, description="S3-compatible endpoint (MinIO etc.); None: AWS.")
    s3_access_key: SecretStr | None = None
    s3_secret_key: SecretStr | None = None
    s3_region: str = "us-east-1"
    user_agent: str = "StorylineBot/0.1 (+https://github.com/storyline-news/storyline; news clustering research)"
    min_host_delay_s: float = Field(default=1.0, ge=0.0)
    allow_private_addresses: bool = False
    fetch_timeout_s: float = Field(default=20.0, gt=0)
    max_page_bytes: int = Field(default=10 * 1024 * 1024, gt=0)
    max_redirects: int = Field(default=5, ge=0)
    cluster_threshold: float = Field(default=0.15, gt=0, lt=1)
    # Merge a young story into the active one it turns out to be, as each cluster batch is written (ADR 0015);
    # off: splits wait for the maintenance pass (`storyline consolidate`), as before.
    consolidate_live: bool = True
    log_level: str = Field(default="WARNING", description="DEBUG, INFO, WARNING, ERROR or CRITICAL (any case).")
    # Optional LLM backend for the prose sections (off unless llm_base_url is set; extractive is the default).
    llm_base_url: str | None = Field(
        default=None, description="OpenAI-compatible API base, e.g. http://host:port/v1; unset: no model is used."
    )
    llm_model: str = Field(default="", description="Model name sent to the LLM backend.")
    llm_api_key: SecretStr | None = Field(default=None, description="Bearer key for the LLM backend; never logged.")
    llm_min_support: float = Field(
        default=0.6, ge=0, le=1, description="Share of a written sentence's words its cited articles must contain."
    )
    sources: str = Field(default="sources.yaml", description="Source registry (path or URL) the crawl DAG reads.")
    kafka_bootstrap: str = Field(default="127.0.0.1:19092", description="Kafka bootstrap servers (streaming mode).")
    metrics_port: int = Field(default=0, ge=0, description="Worker /metrics port; 0 disables the endpoint.")
    metrics_host: str = Field(
        default="127.0.0.1", description="Interface worker /metrics listens on (0.0.0.0 for a scraper elsewhere)."
    )
    analysis_processes: int = Field(
        default=0,
        ge=0,
        description=(
            "Processes that extract pages and recognise entities in embedded runs; 0: one per CPU core. With 2 or "
            "more, a crawl of 64 pages or more also fetches in a process of its own; 1 keeps everything in one."
        ),
    )
    reorder_window_s: float = Field(
        default=10.0,
        ge=0,
        description="Dedup and cluster workers: hold records this long to handle them in event-time order.",
    )
    reorder_quiet_s: float = Field(
        default=2.0, ge=0, description="Dedup and cluster workers: release held records once none came for this long."
    )

    @field_validator("log_level")
    @classmethod
    def _known_log_level(cls, value: str) -> str:
        # Checked here, with the other settings, rather than failing later inside logging.basicConfig.
        level = value.strip().upper()
        if level not in logging.getLevelNamesMapping():
            raise ValueError("not a log level; use DEBUG, INFO, WARNING, ERROR or CRITICAL")
        return level

    def resolved_api_database_url(self) -> str:
        """The read API's database: a read-only role's URL in production, else the warehouse (opened read-only)."""
        if self.api_database_url is not None:
            return _with_password(self.api_database_url, self.api_database_password)
        return self.resolved_database_url()

    def resolved_database_url(self) -> str:
        if self.database_url is not None:
            return _with_password(self.database_url, self.database_password)
        return f"sqlite:///{(self.data_dir / 'storyline.db').resolve()}"

    def resolved_archive_dir(self) -> Path:
        return self.archive_dir or self.data_dir / "raw"

    def safe_database_url(self) -> str:
        """For logs and messages: the password, if any, masked."""
        from sqlalchemy.engine import make_url

        return make_url(self.resolved_database_url()).render_as_string(hide_password=True)


def _with_password(url: SecretStr, password: SecretStr | None) -> str:
    """The URL with `password` set in it, escaped as URLs need ("p@ss/w%rd" works); without one, the URL as given."""
    if password is None:
        return url.get_secret_value()
    from sqlalchemy.engine import make_url

    return make_url(url.get_secret_value()).set(password=password.get_secret_value()).render_as_string(False)
