"""Ports: the Protocols services depend on, one module per aggregate (articles, stories, crawl, dead letters,
maintenance, the read side) and for the rest of the running system; adapters implement them, bootstrap wires
them. Every name is importable from `storyline.ports`."""

from storyline.domain.records import InRecord
from storyline.ports.analysis import EntityRecognizer, Offload, PageAnalyser, ProseWriter, TaskPool
from storyline.ports.articles import ArticleStore
from storyline.ports.crawl import Fetcher, FetchLog, HostSlots, Sleeper, SourceStore
from storyline.ports.dead_letters import DeadLetterSink, DeadLetterStore
from storyline.ports.maintenance import ConsolidationStore, FetchLogRetention, RawArchiveIndex, ResumeStore
from storyline.ports.read import MAX_OFFSET, MAX_PAGE, StoryFilter, StoryReader
from storyline.ports.runtime import BlobStore, Clock, Metrics, Publisher, RunPublisher, StreamConsumer
from storyline.ports.stories import ClusterSteps, StoredStory, StoryStore
from storyline.ports.unit_of_work import UnitOfWork

__all__ = [
    "MAX_OFFSET",
    "MAX_PAGE",
    "ArticleStore",
    "BlobStore",
    "Clock",
    "ClusterSteps",
    "ConsolidationStore",
    "DeadLetterSink",
    "DeadLetterStore",
    "EntityRecognizer",
    "FetchLog",
    "FetchLogRetention",
    "Fetcher",
    "HostSlots",
    "InRecord",
    "Metrics",
    "Offload",
    "PageAnalyser",
    "ProseWriter",
    "Publisher",
    "RawArchiveIndex",
    "ResumeStore",
    "RunPublisher",
    "Sleeper",
    "SourceStore",
    "StoredStory",
    "StoryFilter",
    "StoryReader",
    "StoryStore",
    "StreamConsumer",
    "TaskPool",
    "UnitOfWork",
]
