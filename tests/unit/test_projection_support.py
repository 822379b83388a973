"""Around the fold: module purity, the rebuild's progress line, lead-list cursors and SQL."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from funnel.projector.store import LEAD_UPSERT
from funnel.store.queries import decode_cursor, encode_cursor
from runtime.progress import ProgressBar, render_progress

ROOT = Path(__file__).resolve().parents[2]


def test_progress_line_shows_share_rate_and_eta() -> None:
    line = render_progress(done=250_000, total=1_000_000, elapsed=10.0)

    assert "250,000/1,000,000" in line and "25.0%" in line
    assert "25,000 msg/s" in line and "ETA 0:00:30" in line


def test_progress_before_any_message_has_no_eta_and_an_empty_log_is_done() -> None:
    assert "ETA --:--:--" in render_progress(0, 10, elapsed=1.0)
    assert "100.0%" in render_progress(0, 0, elapsed=1.0)


def test_progress_into_a_log_prints_whole_lines_and_always_the_last() -> None:
    stream = io.StringIO()
    bar = ProgressBar(stream)

    bar.update(1, 10)
    bar.update(2, 10)  # within the interval: skipped
    bar.update(10, 10)

    lines = stream.getvalue().splitlines()
    assert len(lines) == 2 and "10/10" in lines[-1] and "\r" not in stream.getvalue()


def test_cursors_round_trip_and_reject_garbage() -> None:
    assert decode_cursor(encode_cursor(42.5, "L-7")) == (42.5, "L-7")
    with pytest.raises(ValueError):
        decode_cursor("not-a-cursor")


def test_lead_upsert_merges_every_column_it_inserts() -> None:
    inserted = LEAD_UPSERT.split(" SELECT ")[0]
    updated = LEAD_UPSERT.split("DO UPDATE SET ")[1]
    columns = inserted[inserted.index("(") + 1 : inserted.index(")")].split(", ")

    assert [c for c in columns if c != "lead_id" and f"{c} = " not in updated] == []
