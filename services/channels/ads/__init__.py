"""Ad-platform lead webhooks: Google, Meta and the Chinese clue pushes."""
