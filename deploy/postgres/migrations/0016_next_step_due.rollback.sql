DROP INDEX funnel.communications_next_steps;
ALTER TABLE funnel.communications DROP COLUMN next_step_due;
