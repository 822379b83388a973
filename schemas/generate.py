"""Write the committed JSON Schema files from the contract models: `python -m schemas.generate`."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from pydantic import TypeAdapter

from schemas.events import SCHEMA_VERSION, Event
from schemas.outgoing import (
    Alert,
    DeadLetter,
    LeadDemoted,
    LeadPromoted,
    LeadsMerged,
    NurtureSuggested,
    PersonErased,
    ResolvedEvent,
    ScoreChanged,
)
from schemas.spend import SpendRecorded

OUT = Path(__file__).resolve().parent / "json"
CONTRACTS: dict[str, tuple[Any, str]] = {
    "event": (
        Event,
        "A behaviour or sales event on the raw topic (key: strongest identity)",
    ),
    "resolved_event": (ResolvedEvent, "A raw event after identity resolution (key: lead_id)"),
    "score_changed": (ScoreChanged, "A lead's score after an event (compacted, key: lead_id)"),
    "lead_promoted": (LeadPromoted, "A lead crossed a tier bar upwards (key: lead_id)"),
    "lead_demoted": (LeadDemoted, "A lead fell below a tier bar (key: lead_id)"),
    "leads_merged": (LeadsMerged, "Two leads turned out to be one person"),
    "nurture_suggested": (NurtureSuggested, "A content pack suggested for a lead under the bar"),
    "person_erased": (PersonErased, "A person was erased: every consumer forgets the leads"),
    "spend_recorded": (SpendRecorded, "A channel's or campaign's spend in a month (key: spend_id)"),
    "alert": (Alert, "A business alert for sales managers and supervisors"),
    "dead_letter": (DeadLetter, "A message that could not be processed, with the reason"),
}


def render(name: str) -> str:
    """The JSON Schema text of one contract, stable byte for byte."""
    annotation, description = CONTRACTS[name]
    schema: dict[str, Any] = TypeAdapter(annotation).json_schema()
    header = {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": f"leadfunnel/{name}.v{SCHEMA_VERSION}.json",
        "title": name,
        "description": description,
    }
    return json.dumps({**header, **schema}, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def expected_files() -> dict[str, str]:
    """Every schema file name with the text it must have."""
    return {f"{name}.json": render(name) for name in CONTRACTS}


def drift() -> list[str]:
    """Names of schema files that are missing, stale or no longer generated."""
    expected = expected_files()
    present = {path.name for path in OUT.glob("*.json")}
    stale = [
        name
        for name, text in expected.items()
        if name not in present or (OUT / name).read_text() != text
    ]
    return sorted(stale + sorted(present - set(expected)))


def main(argv: list[str] | None = None) -> int:
    """Write the files, or with --check exit 1 naming the files that drifted."""
    parser = argparse.ArgumentParser(prog="python -m schemas.generate")
    parser.add_argument("--check", action="store_true", help="only report drift")
    args = parser.parse_args(argv)
    if args.check:
        drifted = drift()
        for name in drifted:
            print(f"drifted: schemas/json/{name} (run `make schemas`)", file=sys.stderr)
        return 1 if drifted else 0
    OUT.mkdir(exist_ok=True)
    for old in OUT.glob("*.json"):
        if old.name not in expected_files():
            old.unlink()
    for name, text in expected_files().items():
        (OUT / name).write_text(text)
    print(f"wrote {len(CONTRACTS)} schemas to {OUT}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
