-- The PII vault and erasure (docs/privacy.md).
-- pii_keys: one AES-256 data key per vault subject (a keyed hash of the strongest identity key an
-- event carried), stored only wrapped by the master key. Erasure deletes the row: every
-- ciphertext made with it, in Kafka or in a table, can never be opened again (crypto-shredding).
-- erasures: the audit log (who: the token's name; when; which leads; never a contact detail).
-- erased_leads: leads the projector and a rebuild must never project again.
-- funnel.lead_contacts: each event's sealed contact (ciphertext, key id, company blind index).
-- depends: 0008_access_tokens

CREATE TABLE public.pii_keys (
    key_id        text PRIMARY KEY,
    subject       text NOT NULL UNIQUE,
    wrapped_key   bytea NOT NULL,
    master_key_id text NOT NULL,
    created_at    timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX pii_keys_by_master ON public.pii_keys (master_key_id);

CREATE TABLE public.erasures (
    erasure_id   text PRIMARY KEY,
    requested_by text NOT NULL,
    requested_at timestamptz NOT NULL DEFAULT now(),
    matched_by   text NOT NULL CHECK (matched_by IN ('lead_id', 'email', 'phone', 'crm_id')),
    lead_ids     text[] NOT NULL,
    keys_deleted integer NOT NULL
);

CREATE TABLE public.erased_leads (
    lead_id    text PRIMARY KEY,
    erasure_id text NOT NULL,
    erased_at  timestamptz NOT NULL
);

CREATE TABLE funnel.lead_contacts (
    event_id      text PRIMARY KEY,
    lead_id       text NOT NULL,
    key_id        text NOT NULL,
    ciphertext    text NOT NULL,
    company_index text[] NOT NULL,
    occurred_at   timestamptz NOT NULL
);
CREATE INDEX lead_contacts_by_lead ON funnel.lead_contacts (lead_id, occurred_at DESC);
CREATE INDEX lead_contacts_by_company ON funnel.lead_contacts USING gin (company_index);
