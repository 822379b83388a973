DROP INDEX funnel.leads_segments;
