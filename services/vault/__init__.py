"""The PII vault: contact details sealed with per-person data keys kept in PostgreSQL."""
