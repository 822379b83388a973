-- Where each projector has read up to, written in the same transaction as its rows,
-- so a replay or a restart resumes exactly and never double-counts.
CREATE TABLE projection_positions (
    projector   text    NOT NULL,
    topic       text    NOT NULL,
    partition   integer NOT NULL,
    next_offset bigint  NOT NULL CHECK (next_offset >= 0),
    updated_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (projector, topic, partition)
);
