-- The churn-risk model (issue 12 item 3, docs/risk.md): every trained version, its scaler and
-- coefficients as JSON (never a pickle), with the evaluation it was trained with. Trained by
-- `python -m services.risk train` on one funnel schema (`source`); readers take the newest of
-- theirs. public, not funnel: a rebuild swaps the funnel schema, models outlive it.
-- alerts.risk_crossings: the opportunities above the alert bar and since when, so the alerts
-- worker raises `opportunity_at_risk` once per crossing (the alert id carries `crossed_at`);
-- a row is deleted when the risk falls back below the bar or the deal closes.
-- depends: 0003_alerts 0010_exact_reach_times

CREATE TABLE public.risk_models (
    version    text PRIMARY KEY,  -- training time + a hash of the training examples
    source     text NOT NULL,     -- the funnel schema it was trained on
    trained_at timestamptz NOT NULL,
    model      jsonb NOT NULL     -- forecast/model.py RiskModel.to_json()
);
CREATE INDEX risk_models_newest ON public.risk_models (source, trained_at DESC);

CREATE TABLE alerts.risk_crossings (
    opportunity_id text PRIMARY KEY,
    crossed_at     timestamptz NOT NULL,
    risk           double precision NOT NULL,
    model_version  text NOT NULL
);
