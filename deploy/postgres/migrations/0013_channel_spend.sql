-- Marketing spend per channel / campaign and calendar month (issue 12 item 6), projected from
-- the compacted marketing.spend topic: one row per spend_id (a hash of channel, campaign and
-- month), the latest posting by recorded_at winning whatever order the records are read in.
-- campaign is null for the channel's spend that no campaign carries. A rebuild copies the table
-- with every other funnel table and re-projects it from the topic. (0013: 0012 went to the
-- ingest rate windows while this was written.)
-- depends: 0010_exact_reach_times

CREATE TABLE funnel.channel_spend (
    spend_id    text PRIMARY KEY,
    channel     text NOT NULL,
    campaign    text,
    month       text NOT NULL CHECK (month ~ '^[0-9]{4}-(0[1-9]|1[0-2])$'),
    amount      float8 NOT NULL CHECK (amount >= 0),
    currency    text NOT NULL,
    recorded_at timestamptz NOT NULL,
    source      text NOT NULL
);
CREATE INDEX channel_spend_by_month ON funnel.channel_spend (month, channel);
