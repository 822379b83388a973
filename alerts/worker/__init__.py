"""The alerts worker's adapters: consumer loop, checks, state and outbox stores, relay, webhooks."""
