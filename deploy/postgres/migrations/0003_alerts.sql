-- State of `python -m alerts`: the stale-lead detector's per-lead fold, its event-time clock,
-- the alert outbox (one row per alert id, so a replay or a crash never raises one twice), the
-- webhook deliveries of published alerts, and which scheduled checks already ran.
-- Its own schema, so tests clone it per test; no foreign keys or views (clones drop them).
-- Source offsets live in public.projection_positions (projector 'alerts:<schema>'), written in
-- the same transaction as the lead rows and the outbox.
-- depends: 0001_projection_positions

CREATE SCHEMA IF NOT EXISTS alerts;

CREATE TABLE alerts.lead_activity (
    lead_id              text PRIMARY KEY,
    tier                 text NOT NULL DEFAULT 'lead',
    tier_at              timestamptz,
    has_open_opportunity boolean NOT NULL DEFAULT false,
    owner                text,
    last_activity_at     timestamptz,
    active_since         timestamptz,
    alerted_idle_since   timestamptz,
    -- opportunity id -> [stage, occurred_at, event_id] of its latest stage change
    opportunities        jsonb NOT NULL DEFAULT '{}'::jsonb,
    -- when the sweep must judge the lead next (NULL: not active, or this idle period flagged)
    due_at               timestamptz
);
CREATE INDEX lead_activity_due ON alerts.lead_activity (due_at) WHERE due_at IS NOT NULL;
CREATE INDEX lead_activity_opportunities ON alerts.lead_activity USING gin (opportunities);
CREATE INDEX lead_activity_flagged ON alerts.lead_activity (owner)
    WHERE alerted_idle_since IS NOT NULL;

-- The latest event time seen, per consumer: the sweep's watermark.
CREATE TABLE alerts.event_clock (
    consumer     text PRIMARY KEY,
    max_event_at timestamptz NOT NULL
);

CREATE TABLE alerts.outbox (
    seq             bigint GENERATED ALWAYS AS IDENTITY,
    alert_id        text PRIMARY KEY,
    kind            text NOT NULL,
    subject         text NOT NULL,
    payload         text NOT NULL,  -- the Alert's JSON, published byte for byte
    created_at      timestamptz NOT NULL DEFAULT now(),
    published_at    timestamptz,
    kafka_partition integer,
    kafka_offset    bigint
);
CREATE INDEX outbox_pending ON alerts.outbox (seq) WHERE published_at IS NULL;
CREATE INDEX outbox_by_kind ON alerts.outbox (kind, created_at);

CREATE TABLE alerts.deliveries (
    alert_id   text NOT NULL,
    webhook    text NOT NULL,
    status     text NOT NULL DEFAULT 'pending'
               CHECK (status IN ('pending', 'delivered', 'dead_lettered')),
    attempts   integer NOT NULL DEFAULT 0,
    last_error text,
    updated_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (alert_id, webhook)
);
CREATE INDEX deliveries_pending ON alerts.deliveries (updated_at) WHERE status = 'pending';

CREATE TABLE alerts.checks_run (
    check_name text NOT NULL,
    period     text NOT NULL,
    alerts     integer NOT NULL,
    ran_at     timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (check_name, period)
);
