-- The churn-risk check's scores (docs/risk.md "Reading the scores"): every deal open at the
-- check's time with its risk, in the at-risk list's order, so the at-risk list reads a page of
-- rows instead of scoring every open deal per request (3.7 s at 1M leads, docs/benchmarks.md).
-- risk_checks: one row per funnel schema scored (`source`), the newest check's time and model;
-- risk_scores: that check's deals, replaced whole by each check in the check's transaction.
-- depends: 0013_risk_models

CREATE TABLE alerts.risk_checks (
    source        text PRIMARY KEY,      -- the funnel schema the deals were read from
    as_of         timestamptz NOT NULL,  -- the moment scored (the alerts worker's event time)
    checked_at    timestamptz NOT NULL,  -- when the check committed (wall clock): freshness
    model_version text NOT NULL,
    horizon_days  double precision NOT NULL
);

CREATE TABLE alerts.risk_scores (
    source         text NOT NULL,
    opportunity_id text NOT NULL,
    rank           integer NOT NULL,           -- riskiest first, ties by opportunity id
    lead_id        text,
    owner          text,                       -- at the check: the lead's, else the deal's
    risk           double precision NOT NULL,  -- unrounded: `at_risk` compares it to the bar
    shown_risk     double precision NOT NULL,  -- rounded as the API shows it: `min_risk` filters it
    item           text NOT NULL,              -- JSON: the API's item but owner and at_risk
    PRIMARY KEY (source, opportunity_id)
);
CREATE INDEX risk_scores_by_rank ON alerts.risk_scores (source, rank);
CREATE INDEX risk_scores_by_owner ON alerts.risk_scores (source, owner, rank);
