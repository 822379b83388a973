-- The dashboard's filter options (first-touch channel and campaign pairs) by a skip scan: one
-- index probe per distinct pair instead of a GROUP BY over every lead (~200 ms at 1M leads,
-- before the funnel page could draw its filters and trend).
-- depends: 0016_next_step_due

CREATE INDEX leads_segments ON funnel.leads
    ((coalesce(first_channel, '')), (coalesce(first_campaign, '')))
    WHERE first_seen_at IS NOT NULL;
