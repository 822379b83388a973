-- Ingest's rate limits shared by every replica (LEADFUNNEL_INGEST_RATE_STORE=postgres): events
-- admitted per scope (a write key, or a write key and a client address) in fixed windows.
-- UNLOGGED: counters of the last seconds need no crash safety, and skip the WAL.
CREATE SCHEMA IF NOT EXISTS ingest;
CREATE UNLOGGED TABLE ingest.rate_windows (
    scope  text    NOT NULL,
    slot   bigint  NOT NULL,  -- seconds since the epoch divided by the window length
    events integer NOT NULL,
    PRIMARY KEY (scope, slot)
);
