DROP TABLE ingest.rate_windows;
DROP SCHEMA IF EXISTS ingest;
