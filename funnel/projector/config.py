"""What the projector needs to know, as plain values: built by `funnel.wiring` from Settings."""

from __future__ import annotations

from dataclasses import dataclass

from funnel.model.stages import StageOrder


@dataclass(frozen=True, slots=True)
class ProjectorConfig:
    """Where the log and the read models are, and the rules the read models are folded by."""

    database_url: str
    kafka_bootstrap: str
    topic_prefix: str
    schema: str  # the live read-model schema (a rebuild projects into `<schema>__rebuild`)
    order: StageOrder  # the sales stages, first first: what counts as advancing
    points_rules_path: str = ""  # empty: performance/default_points.yaml
    stage_gates_path: str = ""  # empty: funnel/default_gates.yaml
    batch_records: int = 5000  # records per batch (one transaction) at most
