"""The garbage collector's settings for a long-running stream worker (and the ingest service).

A worker allocates a handful of short-lived objects per record (parsed events, effects, the
messages it sends), almost none of them in reference cycles, and holds many long-lived ones
(the app, its rules, Faust's and aiokafka's plumbing, fetched buffers). CPython's default
collects the youngest generation every 700 net allocations and rescans the older ones every
tenth pass. Freezing what start-up built (`gc.freeze`) takes it out of every scan, and a
youngest generation of 50,000 objects (the projector's; 500,000 for the scoring worker) collects
the rare cyclic garbage in larger, rarer passes: a scoring worker scored 11–24 % more events/s
so (docs/benchmarks.md, "The collector").
"""

from __future__ import annotations

import gc

YOUNGEST = 50_000  # allocations between collections of generation 0 (CPython: 700)
# the scoring worker's: its cache of decoded lead states (≈ 100 tracked objects each) is promoted
# and evicted all the time, and every generation-1 pass rescans it; 500,000 scored 1.18x the
# events/s of 50,000 with the same RSS (docs/benchmarks.md, "One intake per agent")
SCORING_YOUNGEST = 500_000
OLDER = (50, 100)  # generation-0 passes per generation-1 pass, and 1 per 2 (CPython: 10, 10)


def tune_for_streaming(youngest: int = YOUNGEST) -> tuple[int, int, int]:
    """Collect once, freeze the survivors, raise the thresholds; returns the previous ones."""
    before = gc.get_threshold()
    gc.collect()
    gc.freeze()
    gc.set_threshold(youngest, *OLDER)
    return before
