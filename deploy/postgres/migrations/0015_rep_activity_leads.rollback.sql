DROP INDEX funnel.rep_activity_by_lead;
ALTER TABLE funnel.rep_activity DROP COLUMN lead_id;
