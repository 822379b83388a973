"""Contracts: event models, outgoing messages and the topic declarations."""
