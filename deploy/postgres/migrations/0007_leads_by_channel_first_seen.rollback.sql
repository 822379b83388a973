DROP INDEX funnel.leads_by_channel_first_seen;
