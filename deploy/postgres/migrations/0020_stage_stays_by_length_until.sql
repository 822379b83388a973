-- Stage norms as of a past moment by rank lookups too: `stage_intervals_by_length` carries each
-- finished stay's exit time, so the k-th shortest stay ended before a cut-off is an index-only
-- walk that skips the later ones, not a window query ranking every stay (the weekly to-dos
-- score the deals open at the week's start: ~1 s of norms at 1M leads, docs/benchmarks.md).
-- depends: 0018_stage_stays_by_length

DROP INDEX funnel.stage_intervals_by_length;
CREATE INDEX stage_intervals_by_length ON funnel.stage_intervals (stage, stay_us)
    INCLUDE (exited_at) WHERE stay_us IS NOT NULL;
