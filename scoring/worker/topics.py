"""The scoring worker's own topics, declared once: internal ones under its app id, nurture output.

Internal names hang off the Faust app id (`<prefix>scoring`, plus `-<generation>` when set), so a
new generation gets fresh hops, inputs and tables. The changelog names are the ones Faust derives
(`<app id>-<table>-changelog`); declaring them here lets `ops create-topics` and the worker create
them with the right partitions and compaction. (The app runs with Faust's leader topic disabled.)
"""

from __future__ import annotations

from schemas.topics import DAYS, TopicSpec

# Public output of the sweep timer (email / SMS / WeCom tools consume it; dedupe on suggestion_id).
NURTURE = TopicSpec("leads.nurture", "lead_id", "NurtureSuggested", retention_ms=90 * DAYS)

# Internal, named `<app id><suffix>`.
IDENTITY_HOPS = TopicSpec(
    ".identity-hops", "the identity key to visit next", "IdentityHop", retention_ms=7 * DAYS
)
LEAD_INPUTS = TopicSpec(
    ".lead-inputs",
    "lead_id (sweeps: an explicit partition)",
    "LeadInput (event, merge, absorb, sweep)",
)
TABLES = ("identities", "leads", "lead_identities", "nurtured")
CHANGELOGS = tuple(
    TopicSpec(f"-{table}-changelog", "table key", "table value", cleanup_policy="compact")
    for table in TABLES
)
INTERNAL_TOPICS: tuple[TopicSpec, ...] = (IDENTITY_HOPS, LEAD_INPUTS, *CHANGELOGS)


def app_id(topic_prefix: str, generation: str = "") -> str:
    """The Faust app id (also the consumer group and the internal topics' prefix)."""
    return f"{topic_prefix}scoring{'-' + generation if generation else ''}"
