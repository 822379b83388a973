"""`GET /v1/leads?q=`: the identity keys a search text may be, hashed the way ingest hashes them.

Emails and phones never reach the read models in clear: they are matched by the same keyed hash
ingest puts on the events (normalised first, so `Li@Example.CN` finds `li@example.cn` and
`138 0013 8000` finds `+8613800138000`). Any text is also tried as a CRM lead id, a user id, an
ad lead id, a WeChat unionid, a WeChat openid of each configured official account (and of
none), an anonymous id and a lead id.
"""

from __future__ import annotations

from collections.abc import Iterable

from services.pii import PiiHasher

MAX_QUERY = 200


def search_keys(text: str, hasher: PiiHasher, wechat_appids: Iterable[str]) -> list[str]:
    """Identity keys (`kind:value`, as `schemas.events.Identities.keys`) the text may match."""
    q = text.strip()
    if not q:
        return []
    keys = [f"{kind}:{q}" for kind in ("crm", "user", "ad_lead", "wx_union", "anon")]
    keys += [f"wx_open:{appid}/{q}" for appid in ("-", *wechat_appids)]
    email = hasher.email_hash(q) if "@" in q else None
    phone = hasher.phone_hash(q) if any(char.isdigit() for char in q) else None
    keys += [f"email:{email}"] if email else []
    keys += [f"phone:{phone}"] if phone else []
    return keys
