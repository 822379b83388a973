DROP INDEX funnel.stage_changes_violating;
ALTER TABLE funnel.stage_intervals DROP COLUMN exit_gate_missing;
ALTER TABLE funnel.stage_changes
    DROP COLUMN evidence, DROP COLUMN approved_by, DROP COLUMN gate_missing,
    DROP COLUMN gates_version;
