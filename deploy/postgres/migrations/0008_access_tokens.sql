-- Read tokens with a role, managed by `python -m services.ops tokens add|list|revoke`.
-- Only the SHA-256 digest of a token is stored: the token itself is shown once, when added.
CREATE TABLE public.access_tokens (
    name       text PRIMARY KEY,
    digest     text NOT NULL UNIQUE,
    role       text NOT NULL CHECK (role IN ('manager', 'rep', 'analyst', 'admin')),
    owner      text CHECK (role <> 'rep' OR owner IS NOT NULL),
    created_at timestamptz NOT NULL DEFAULT now(),
    revoked_at timestamptz
);
