DROP TABLE funnel.rep_activity;
