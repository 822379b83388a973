-- Rep performance points (issue 12): one row per activity of a rep with the points it earned
-- per rule of the points file (performance/default_points.yaml). Written by the projector in
-- each batch's transaction, so a replay or a rebuild (which copies every funnel table) yields
-- the same rows; monthly points per rep and rule are sums over it.
CREATE TABLE funnel.rep_activity (
    source         text NOT NULL CHECK (source IN ('communication', 'stay', 'feedback')),
    source_id      text NOT NULL,  -- communication id, opportunity/seq of the stay, event id
    owner          text NOT NULL,
    occurred_at    timestamptz NOT NULL,
    event_id       text NOT NULL,
    opportunity_id text,
    rules_version  text NOT NULL,
    awards         jsonb NOT NULL DEFAULT '{}'::jsonb,  -- rule id -> points
    PRIMARY KEY (source, source_id)
);
CREATE INDEX rep_activity_by_time ON funnel.rep_activity (occurred_at, owner);
CREATE INDEX rep_activity_by_opportunity ON funnel.rep_activity (opportunity_id)
    WHERE source = 'stay';
