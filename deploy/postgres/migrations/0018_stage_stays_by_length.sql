-- The all-time stage table's median and p90 days by rank lookups: each stage's finished stays in
-- order of length, so the k-th shortest is an index walk of k entries rather than a sort of
-- every stay (the dashboard's default page asks for all time; ~450k stays at 1M leads).
-- depends: 0017_lead_segments

CREATE INDEX stage_intervals_by_length ON funnel.stage_intervals (stage, stay_us)
    WHERE stay_us IS NOT NULL;
