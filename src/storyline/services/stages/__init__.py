"""The four processing stages as batch handlers (events in, events out), shared by embedded and streaming modes:
a module per stage."""

from storyline.services.stages.cluster import ClusterStage
from storyline.services.stages.common import InProcess, Stage, StatelessStage
from storyline.services.stages.dedup import DedupStage
from storyline.services.stages.enrich import EnrichStage
from storyline.services.stages.extract import ExtractStage

__all__ = ["ClusterStage", "DedupStage", "EnrichStage", "ExtractStage", "InProcess", "Stage", "StatelessStage"]
