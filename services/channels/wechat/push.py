"""Opening a WeChat push: mode, timestamp window, signature, then (safe / compat) decryption."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from services.channels.config import WechatAccount
from services.channels.reasons import bad_signature, missing, within_window
from services.channels.wechat.crypto import aes_key, decrypt, is_signed
from services.channels.wechat.safe_xml import parse_xml, required
from services.ingest.rejections import Rejection


@dataclass(frozen=True)
class Account:
    """A configured official account with its AES key decoded once."""

    config: WechatAccount
    key: bytes = field(repr=False, default=b"")

    @classmethod
    def of(cls, config: WechatAccount) -> Account:
        """Decode the account's EncodingAESKey, when it has one."""
        return cls(config, aes_key(config.encoding_aes_key) if config.encoding_aes_key else b"")


def _signed_params(query: Mapping[str, str], *names: str) -> tuple[str, ...] | Rejection:
    values = tuple(query.get(name, "") for name in names)
    for name, value in zip(names, values, strict=True):
        if not value:
            return missing(name)
    return values


def verify_url(account: Account, query: Mapping[str, str]) -> str | Rejection:
    """The `echostr` to answer when WeChat's URL check is signed with this account's token."""
    params = _signed_params(query, "signature", "timestamp", "nonce", "echostr")
    if isinstance(params, Rejection):
        return params
    signature, timestamp, nonce, echo = params
    if not is_signed(signature, account.config.token, timestamp, nonce):
        return bad_signature("signature does not match this account's token")
    return echo


def open_push(
    account: Account, query: Mapping[str, str], body: bytes, now: float, window: float
) -> dict[str, str] | Rejection:
    """The push's fields once its signature, time and (when encrypted) AppID check out."""
    encrypted = query.get("encrypt_type", "raw").lower() == "aes"
    if account.config.mode == "safe" and not encrypted:
        return bad_signature("this account is in safe mode: unencrypted pushes are refused")
    if encrypted and not account.key:
        return bad_signature("encrypted push, but no EncodingAESKey is configured")
    params = _signed_params(query, "msg_signature" if encrypted else "signature", "timestamp")
    if isinstance(params, Rejection):
        return params
    signature, timestamp = params
    nonce = query.get("nonce", "")
    stale = within_window(timestamp, now, window)
    if stale:
        return stale
    if not encrypted and not is_signed(signature, account.config.token, timestamp, nonce):
        return bad_signature("signature does not match this account's token")
    outer = parse_xml(body)
    if isinstance(outer, Rejection) or not encrypted:
        return outer
    absent = required(outer, "Encrypt")
    if absent:
        return absent
    if not is_signed(signature, account.config.token, timestamp, nonce, outer["Encrypt"]):
        return bad_signature("msg_signature does not match this account's token")
    inner = decrypt(outer["Encrypt"], account.key, account.config.appid)
    return inner if isinstance(inner, Rejection) else parse_xml(inner)
