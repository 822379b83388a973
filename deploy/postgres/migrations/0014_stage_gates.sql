-- Stage gates (funnel/gates.py, funnel/default_gates.yaml): what a CRM move attached (evidence
-- kinds, the approver; null for version-1 changes, which could not say) and what the gate of
-- the stage entered found missing (null: not judged; empty: passed), under which gates version.
-- A stay's exit_gate_missing is the gate verdict of the move that ended it: the health check's
-- "stage updates on time" and the rep's process score count such a move as late.
-- depends: 0010_exact_reach_times

ALTER TABLE funnel.stage_changes
    ADD COLUMN evidence text[],
    ADD COLUMN approved_by text,
    ADD COLUMN gate_missing text[],
    ADD COLUMN gates_version text;
ALTER TABLE funnel.stage_intervals ADD COLUMN exit_gate_missing text[];
CREATE INDEX stage_changes_violating ON funnel.stage_changes (occurred_at)
    WHERE cardinality(gate_missing) > 0;
