"""Test data for the channel adapters (no tests here): pushes signed and encrypted by wechatpy.

wechatpy is an independent implementation of WeChat's message security: what it encrypts and
signs is what WeChat's servers would send, so our decryption is not checked against itself.
"""

from __future__ import annotations

import hashlib
import hmac
import time

import xmltodict
from wechatpy.crypto import WeChatCrypto
from wechatpy.utils import WeChatSigner

from services.channels.config import AdPushProfile, WechatAccount
from services.settings import Settings

APPID = "wx5823bf96d3bd56c7"
TOKEN = "QDG6eK"
AES_KEY = "jWmYm7qr5nMoAUwZRjGtBxmz3KA1tkAj3ykkR6q2B2C"  # WeChat's documented sample key
OCEAN_SECRET = "ocean-secret-for-tests"
TENCENT_SECRET = "tencent-secret-for-tests"
GOOGLE_KEY = "google-key-for-tests"
META_TOKEN = "meta-verify-token"
META_SECRET = "meta-app-secret"
PLAIN_APPID = "wx0000000000plain1"
OPENID = "oia2TjjewbmiOUlr6X-1crbLOvLw"


def channel_settings(base: Settings, **changes: object) -> Settings:
    """Settings with a safe-mode and a plain-mode account, and every ad platform configured."""
    accounts = [
        WechatAccount(appid=APPID, token=TOKEN, encoding_aes_key=AES_KEY, mode="safe"),
        WechatAccount(appid=PLAIN_APPID, token=TOKEN, mode="plain"),
    ]
    profiles = [
        AdPushProfile(platform="oceanengine", secret=OCEAN_SECRET),
        AdPushProfile(platform="tencent", secret=TENCENT_SECRET),
    ]
    update = {
        "wechat_accounts": accounts,
        "google_ads_key": GOOGLE_KEY,
        "meta_verify_token": META_TOKEN,
        "meta_app_secret": META_SECRET,
        "ad_push_profiles": profiles,
        **changes,
    }
    return base.model_copy(update=update)


def wechat_signature(*parts: str) -> str:
    """wechatpy's signature of the parts (sorted, concatenated, SHA-1)."""
    signer = WeChatSigner()
    signer.add_data(*parts)
    return str(signer.signature)


def message_xml(created: int | None = None, **fields: str) -> str:
    """A push's inner XML: the sender, the time, and the given fields."""
    created = int(time.time()) if created is None else created
    sender = fields.pop("FromUserName", OPENID)
    body = "".join(f"<{name}><![CDATA[{value}]]></{name}>" for name, value in fields.items())
    return (
        "<xml><ToUserName><![CDATA[gh_7f083739789a]]></ToUserName>"
        f"<FromUserName><![CDATA[{sender}]]></FromUserName>"
        f"<CreateTime>{created}</CreateTime>{body}</xml>"
    )


def encrypted_push(
    xml: str,
    appid: str = APPID,
    token: str = TOKEN,
    key: str = AES_KEY,
    timestamp: int | None = None,
    nonce: str = "1320562132",
    compat: bool = False,
) -> tuple[dict[str, str], bytes]:
    """Query and body of a safe-mode (or compatibility-mode) push, as WeChat sends them."""
    stamp = str(int(time.time()) if timestamp is None else timestamp)
    sealed = xmltodict.parse(WeChatCrypto(token, key, appid).encrypt_message(xml, nonce, stamp))
    encrypt = sealed["xml"]["Encrypt"]
    plain = xml.removeprefix("<xml>").removesuffix("</xml>") if compat else ""
    body = f"<xml>{plain}<Encrypt><![CDATA[{encrypt}]]></Encrypt></xml>"
    query = {
        "signature": wechat_signature(token, stamp, nonce),
        "timestamp": stamp,
        "nonce": nonce,
        "openid": OPENID,
        "encrypt_type": "aes",
        "msg_signature": sealed["xml"]["MsgSignature"],
    }
    return query, body.encode()


def plain_push(xml: str, token: str = TOKEN, timestamp: int | None = None) -> dict[str, str]:
    """Query of a plain-mode push."""
    stamp = str(int(time.time()) if timestamp is None else timestamp)
    return {"signature": wechat_signature(token, stamp, "42"), "timestamp": stamp, "nonce": "42"}


def clue_headers(body: bytes, secret: str, timestamp: int | None = None) -> dict[str, str]:
    """Headers of a clue push: X-Timestamp and X-Signature = HMAC-SHA256(timestamp.body)."""
    stamp = str(int(time.time()) if timestamp is None else timestamp)
    digest = hmac.new(secret.encode(), stamp.encode() + b"." + body, hashlib.sha256).hexdigest()
    return {"X-Timestamp": stamp, "X-Signature": digest, "Content-Type": "application/json"}


def meta_signature(body: bytes, secret: str = META_SECRET) -> str:
    """X-Hub-Signature-256 of a body."""
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
