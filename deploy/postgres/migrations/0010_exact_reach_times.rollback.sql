ALTER TABLE funnel.leads DROP COLUMN reach_offset;
