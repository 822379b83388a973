-- The lead each rep activity was about (the survivor after merges), so that erasing a person
-- forgets the points earned on them too, live as in a rebuild (which leaves the person out).
ALTER TABLE funnel.rep_activity ADD COLUMN lead_id text;
CREATE INDEX rep_activity_by_lead ON funnel.rep_activity (lead_id);
