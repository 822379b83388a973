DROP TABLE funnel.channel_spend;
