"""WeChat callbacks: signatures and safe-mode decryption against wechatpy's vectors, and mapping."""

from __future__ import annotations

import time
from typing import Any

import pytest
from wechatpy.utils import check_signature

from services.channels.config import WechatAccount
from services.channels.wechat.crypto import signature
from services.channels.wechat.events import draft_of
from services.channels.wechat.push import Account, open_push, verify_url
from services.ingest.rejections import Rejection
from tests.support.channels import (
    AES_KEY,
    APPID,
    OPENID,
    TOKEN,
    encrypted_push,
    message_xml,
    plain_push,
    wechat_signature,
)

SAFE = Account.of(WechatAccount(appid=APPID, token=TOKEN, encoding_aes_key=AES_KEY))
COMPAT = Account.of(
    WechatAccount(appid=APPID, token=TOKEN, encoding_aes_key=AES_KEY, mode="compat")
)
PLAIN = Account.of(WechatAccount(appid=APPID, token=TOKEN, mode="plain"))


def opened(account: Account, query: dict[str, str], body: bytes) -> Any:
    return open_push(account, query, body, time.time(), 300)


def test_our_signature_is_the_one_wechatpy_checks() -> None:
    ours = signature(TOKEN, "1409659813", "1372623149")
    check_signature(TOKEN, ours, "1409659813", "1372623149")  # raises when it differs
    assert ours == wechat_signature(TOKEN, "1409659813", "1372623149")


def test_url_check_echoes_echostr_only_when_signed_with_the_token() -> None:
    query = {**plain_push(""), "echostr": "5837397520665006996"}
    assert verify_url(SAFE, query) == "5837397520665006996"
    forged = verify_url(SAFE, {**query, "signature": "0" * 40})
    assert isinstance(forged, Rejection) and forged.status == 403
    absent = verify_url(SAFE, {key: v for key, v in query.items() if key != "echostr"})
    assert isinstance(absent, Rejection) and absent.status == 400 and "echostr" in absent.message


def test_safe_mode_push_encrypted_by_wechatpy_opens_to_its_fields() -> None:
    query, body = encrypted_push(message_xml(MsgType="text", Content="你好", MsgId="1001"))
    fields = opened(SAFE, query, body)
    assert fields["Content"] == "你好" and fields["FromUserName"] == OPENID


def test_compatibility_mode_trusts_the_encrypted_copy_not_the_plain_one() -> None:
    query, body = encrypted_push(message_xml(MsgType="text", Content="真", MsgId="7"), compat=True)
    tampered = body.replace("<![CDATA[真]]>".encode(), "<![CDATA[假]]>".encode(), 1)
    assert opened(COMPAT, query, tampered)["Content"] == "真"


def test_compatibility_mode_also_accepts_plain_pushes() -> None:
    xml = message_xml(MsgType="event", Event="unsubscribe")
    assert opened(COMPAT, plain_push(xml), xml.encode())["Event"] == "unsubscribe"


@pytest.mark.parametrize(
    ("change", "code", "status"),
    [
        ({"msg_signature": "0" * 40}, "bad_signature", 403),
        ({"timestamp": str(int(time.time()) - 3600)}, "stale_timestamp", 403),
        ({"timestamp": "yesterday"}, "stale_timestamp", 403),
        ({"encrypt_type": "raw"}, "bad_signature", 403),
    ],
)
def test_forged_stale_or_unencrypted_safe_mode_pushes_are_refused(
    change: dict[str, str], code: str, status: int
) -> None:
    query, body = encrypted_push(message_xml(MsgType="text", Content="x", MsgId="1"))
    refused = opened(SAFE, {**query, **change}, body)
    assert isinstance(refused, Rejection) and (refused.code, refused.status) == (code, status)


def test_push_encrypted_for_another_appid_is_refused_with_403() -> None:
    query, body = encrypted_push(message_xml(MsgType="text", MsgId="1"), appid="wxother0000000001")
    refused = opened(SAFE, query, body)
    assert isinstance(refused, Rejection) and (refused.code, refused.status) == (
        "appid_mismatch",
        403,
    )


def test_push_under_another_encoding_aes_key_is_undecryptable() -> None:
    other_key = "a" * 43
    query, body = encrypted_push(message_xml(MsgType="text", MsgId="1"), key=other_key)
    refused = opened(SAFE, query, body)
    assert isinstance(refused, Rejection) and refused.code == "undecryptable"
    assert refused.status == 400 and refused.pointer == "/xml/Encrypt"


@pytest.mark.parametrize(
    ("body", "code"),
    [
        (b'<!DOCTYPE xml [<!ENTITY e "x">]><xml><Content>&e;</Content></xml>', "forbidden_xml"),
        (b'<!DOCTYPE xml SYSTEM "http://127.0.0.1/x.dtd"><xml/>', "forbidden_xml"),
        (b"<xml><Content>unclosed</xml>", "malformed_xml"),
        (b'{"json": "is not XML"}', "malformed_xml"),
        (b"<root><A>1</A></root>", "malformed_xml"),
    ],
)
def test_dtds_entities_and_malformed_xml_are_refused_with_400(body: bytes, code: str) -> None:
    xml = body.decode()
    refused = opened(PLAIN, plain_push(xml), body)
    assert isinstance(refused, Rejection) and (refused.code, refused.status) == (code, 400)


def draft(**fields: str) -> Any:
    created = fields.pop("CreateTime", "1700000000")
    base = {"ToUserName": "gh_1", "FromUserName": OPENID, "CreateTime": created}
    return draft_of({**base, **fields}, APPID, 20, "CN")


def test_subscribe_from_a_parametric_qr_code_attributes_the_campaign() -> None:
    event = draft(MsgType="event", Event="subscribe", EventKey="qrscene_expo2024", Ticket="t")
    assert (event.type, event.properties, event.campaign) == (
        "wechat_subscribed",
        {"scene": "expo2024"},
        "expo2024",
    )
    plain = draft(MsgType="event", Event="subscribe", EventKey="")
    assert (plain.properties, plain.campaign) == ({"scene": None}, None)


@pytest.mark.parametrize(
    ("fields", "kind", "properties"),
    [
        ({"Event": "SCAN", "EventKey": "expo2024"}, "wechat_qr_scanned", {"scene": "expo2024"}),
        ({"Event": "CLICK", "EventKey": "PRICING"}, "wechat_menu_clicked", {"menu_key": "PRICING"}),
        (
            {"Event": "VIEW", "EventKey": "https://x.cn/demo", "MenuId": "301"},
            "wechat_menu_clicked",
            {"menu_key": "301", "url": "https://x.cn/demo"},
        ),
        ({"Event": "unsubscribe"}, "wechat_unsubscribed", {}),
        (
            {"Event": "LOCATION", "Latitude": "23.137466", "Longitude": "113.352425"},
            "custom",
            {"name": "wechat_location_reported", "lat": 23.14, "lon": 113.35},
        ),
        (
            {"Event": "TEMPLATESENDJOBFINISH", "MsgID": "200163836", "Status": "success"},
            "custom",
            {"name": "wechat_template_finished", "status": "success"},
        ),
        (
            {"Event": "scancode_push", "EventKey": "rselfmenu_0_1"},
            "custom",
            {"name": "wechat_scancode_push", "event_key": "rselfmenu_0_1"},
        ),
    ],
)
def test_each_event_maps_to_our_event_type(
    fields: dict[str, str], kind: str, properties: dict[str, Any]
) -> None:
    event = draft(MsgType="event", **fields)
    assert (event.type, event.properties) == (kind, properties)


def test_identity_is_appid_and_openid_plus_unionid_when_present() -> None:
    event = draft(MsgType="event", Event="unsubscribe", UnionId="o6_bmasdasdsad6_2sgVt7hMZOPfL")
    assert event.identities == {
        "wechat_appid": APPID,
        "wechat_openid": OPENID,
        "wechat_unionid": "o6_bmasdasdsad6_2sgVt7hMZOPfL",
    }


def test_text_is_truncated_and_a_typed_phone_or_email_becomes_a_hashed_identity_only() -> None:
    event = draft(
        MsgType="text", Content="电话13800138000 a@b.cn 我想了解价格和交付时间", MsgId="9"
    )
    assert event.properties["content"] == "电话[phone] [email] 我想"
    assert len(event.properties["content"]) == 20
    assert (event.identities["phone"], event.identities["email"]) == ("13800138000", "a@b.cn")


def test_messages_other_than_text_keep_their_type_and_no_content() -> None:
    event = draft(MsgType="image", PicUrl="http://x/1.jpg", MediaId="m", MsgId="10")
    assert event.properties == {"msg_type": "image", "msg_id": "10", "content": None}


def test_a_retried_push_gets_the_same_event_id_and_different_pushes_do_not() -> None:
    first = draft(MsgType="text", Content="a", MsgId="555")
    assert draft(MsgType="text", Content="a", MsgId="555").event_id == first.event_id
    click = draft(MsgType="event", Event="CLICK", EventKey="A")
    assert draft(MsgType="event", Event="CLICK", EventKey="A").event_id == click.event_id
    assert draft(MsgType="event", Event="CLICK", EventKey="B").event_id != click.event_id
    later = draft(MsgType="event", Event="CLICK", EventKey="A", CreateTime="1700000001")
    assert later.event_id != click.event_id


@pytest.mark.parametrize(
    ("fields", "pointer"),
    [
        ({"MsgType": "event", "Event": "SCAN"}, "/xml/EventKey"),
        ({"MsgType": "event"}, "/xml/Event"),
        ({"MsgType": "text", "CreateTime": "soon"}, "/xml/CreateTime"),
        ({"MsgType": "event", "Event": "LOCATION", "Latitude": "north"}, "/xml/Latitude"),
    ],
)
def test_malformed_pushes_name_the_element(fields: dict[str, str], pointer: str) -> None:
    refused = draft(**fields)
    assert isinstance(refused, Rejection) and refused.status == 400
    assert refused.pointer == pointer
