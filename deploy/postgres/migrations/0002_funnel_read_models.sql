-- Funnel read models, projected from Kafka by `python -m funnel.projector`.
-- They live in their own schema so `funnel.rebuild` can build a fresh copy beside them
-- (CREATE TABLE ... LIKE ... INCLUDING ALL) and swap it in by renaming schemas.
-- No sequences, views or foreign keys here: the clone would not carry them over.
-- depends: 0001_projection_positions

CREATE SCHEMA IF NOT EXISTS funnel;

-- One row per (surviving) lead. Every column merges order-independently (min / max / latest
-- by a total order), so replays, crashes and rebuilds give identical rows.
CREATE TABLE funnel.leads (
    lead_id                   text PRIMARY KEY,
    tier                      text NOT NULL DEFAULT 'lead',
    score                     double precision NOT NULL DEFAULT 0,
    rule_version              text,
    contributions             jsonb NOT NULL DEFAULT '{}'::jsonb,
    score_event_id            text,
    score_changed_at          timestamptz,
    score_offset              bigint,
    first_seen_at             timestamptz,
    first_event_id            text,
    first_channel             text,
    first_campaign            text,
    last_activity_at          timestamptz,
    last_effective_contact_at timestamptz,
    owner                     text,
    owner_changed_at          timestamptz,
    owner_event_id            text,
    mql_at                    timestamptz,
    sql_at                    timestamptz,
    opportunity_at            timestamptz,
    won_at                    timestamptz,
    lost_at                   timestamptz
);
CREATE INDEX leads_by_score ON funnel.leads (score DESC, lead_id);
CREATE INDEX leads_by_tier ON funnel.leads (tier, score DESC, lead_id);
CREATE INDEX leads_by_channel ON funnel.leads (first_channel, score DESC, lead_id);
CREATE INDEX leads_by_owner ON funnel.leads (owner, score DESC, lead_id);
CREATE INDEX leads_by_activity ON funnel.leads (last_activity_at);
CREATE INDEX leads_by_first_seen ON funnel.leads (first_seen_at);

CREATE TABLE funnel.lead_identities (
    lead_id       text NOT NULL,
    identity      text NOT NULL,
    first_seen_at timestamptz NOT NULL,
    PRIMARY KEY (lead_id, identity)
);
CREATE INDEX lead_identities_by_identity ON funnel.lead_identities (identity);

-- merged lead -> final survivor (chains flattened), to resolve late events of merged leads.
CREATE TABLE funnel.lead_merges (
    merged_lead_id     text PRIMARY KEY,
    surviving_lead_id  text NOT NULL,
    merge_id           text NOT NULL,
    linking_identities text[] NOT NULL,
    occurred_at        timestamptz NOT NULL
);
CREATE INDEX lead_merges_by_survivor ON funnel.lead_merges (surviving_lead_id);

-- Every resolved event, for the lead timeline.
CREATE TABLE funnel.lead_events (
    event_id    text PRIMARY KEY,
    lead_id     text NOT NULL,
    type        text NOT NULL,
    channel     text NOT NULL,
    campaign    text,
    occurred_at timestamptz NOT NULL,
    properties  jsonb NOT NULL
);
CREATE INDEX lead_events_by_lead ON funnel.lead_events (lead_id, occurred_at DESC, event_id);

CREATE TABLE funnel.tier_transitions (
    transition_id    text PRIMARY KEY,
    lead_id          text NOT NULL,
    kind             text NOT NULL CHECK (kind IN ('promoted', 'demoted')),
    from_tier        text NOT NULL,
    to_tier          text NOT NULL,
    score            double precision NOT NULL,
    rule_version     text NOT NULL,
    reasons          text[] NOT NULL,
    trigger_event_id text,
    occurred_at      timestamptz NOT NULL
);
CREATE INDEX tier_transitions_by_lead ON funnel.tier_transitions (lead_id, occurred_at);

CREATE TABLE funnel.communications (
    communication_id  text PRIMARY KEY,
    event_id          text NOT NULL,
    lead_id           text NOT NULL,
    opportunity_id    text,
    kind              text NOT NULL,
    owner             text,
    is_effective      boolean NOT NULL,
    need_identified   boolean NOT NULL,
    next_step_agreed  boolean NOT NULL,
    referral_obtained boolean NOT NULL,
    occurred_at       timestamptz NOT NULL
);
CREATE INDEX communications_by_lead ON funnel.communications (lead_id, occurred_at);

-- Stage changes as reported (deduplicated by event id); stage_intervals is derived from them.
CREATE TABLE funnel.stage_changes (
    event_id       text PRIMARY KEY,
    opportunity_id text NOT NULL,
    lead_id        text,
    stage          text NOT NULL,
    previous_stage text,
    owner          text,
    amount         double precision,
    currency       text,
    lost_reason    text,
    occurred_at    timestamptz NOT NULL
);
CREATE INDEX stage_changes_by_opportunity ON funnel.stage_changes (opportunity_id);
CREATE INDEX stage_changes_by_lead ON funnel.stage_changes (lead_id);

CREATE TABLE funnel.stage_intervals (
    opportunity_id   text NOT NULL,
    seq              integer NOT NULL,
    lead_id          text,
    stage            text NOT NULL,
    entered_at       timestamptz NOT NULL,
    entered_event_id text NOT NULL,
    exited_at        timestamptz,
    next_stage       text,
    outcome          text CHECK (outcome IN ('advanced', 'won', 'lost', 'regressed')),
    lost_reason      text,
    owner            text,
    amount           double precision,
    currency         text,
    PRIMARY KEY (opportunity_id, seq)
);
CREATE INDEX stage_intervals_by_entry ON funnel.stage_intervals (entered_at);
CREATE INDEX stage_intervals_by_lead ON funnel.stage_intervals (lead_id);
