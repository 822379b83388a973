-- When a communication's agreed next step is due (schema version 2): the rep's weekly to-do
-- list (performance/todos.py) lists the steps falling due and the ones overdue.
-- depends: 0014_stage_gates

ALTER TABLE funnel.communications ADD COLUMN next_step_due date;
CREATE INDEX communications_next_steps ON funnel.communications (owner, next_step_due)
    WHERE next_step_due IS NOT NULL;
