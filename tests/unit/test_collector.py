"""The stream workers' collector settings: start-up objects frozen, a larger youngest generation."""

from __future__ import annotations

import gc

from runtime.collector import OLDER, YOUNGEST, tune_for_streaming


def test_tuning_freezes_what_start_up_built_and_raises_the_thresholds() -> None:
    built_at_start_up = [[n] for n in range(10)]  # long-lived and tracked, like an app
    default = gc.get_threshold()
    try:
        before = tune_for_streaming()

        assert before == default
        assert gc.get_threshold() == (YOUNGEST, *OLDER)
        scanned = {id(o) for o in gc.get_objects()}  # frozen objects are in no generation
        assert not scanned & {id(o) for o in built_at_start_up}
        assert gc.get_freeze_count() >= len(built_at_start_up)
    finally:
        gc.unfreeze()
        gc.set_threshold(*default)
