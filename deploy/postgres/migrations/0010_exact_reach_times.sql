-- Reach times from the scoring worker (ScoreChanged.reached, scoring/reach.py): when a lead's own
-- timeline first met MQL, SQL and Opportunity, whatever order its events arrived in. Set: the
-- row's mql_at, sql_at and opportunity_at are those times (null: not reached) from the score
-- change at this offset of the scores topic, the latest that carried them; null: they are the
-- earliest promotions (records written before reach times existed). The generated gap columns
-- and their indexes follow the same columns.
-- depends: 0008_access_tokens

ALTER TABLE funnel.leads ADD COLUMN reach_offset bigint;
