"""WeChat callbacks over HTTP into the real topic: wechatpy-encrypted pushes, retries, refusals."""

from __future__ import annotations

import httpx
import pytest

from tests.support.channel_server import TopicWatch
from tests.support.channels import (
    APPID,
    OPENID,
    PLAIN_APPID,
    encrypted_push,
    message_xml,
    plain_push,
)

URL = f"/v1/channels/wechat/{APPID}"


def test_url_check_answers_echostr_as_plain_text(client: httpx.Client) -> None:
    query = {**plain_push(""), "echostr": "5837397520665006996"}
    answer = client.get(URL, params=query)
    assert (answer.status_code, answer.text) == (200, "5837397520665006996")
    assert answer.headers["content-type"].startswith("text/plain")
    assert client.get(URL, params={**query, "signature": "f" * 40}).status_code == 403


def test_encrypted_qr_subscribe_is_published_keyed_by_account_and_openid(
    client: httpx.Client, topic: TopicWatch
) -> None:
    xml = message_xml(MsgType="event", Event="subscribe", EventKey="qrscene_expo")
    query, body = encrypted_push(xml)
    answer = client.post(URL, params=query, content=body, headers={"Content-Type": "text/xml"})
    assert (answer.status_code, answer.text) == (200, "success")
    [record] = topic.new(1)
    assert record.key == f"wx_open:{APPID}/{OPENID}".encode()
    assert b'"campaign":"expo"' in record.value and b'"channel":"wechat"' in record.value


def test_wechat_retries_of_a_message_publish_it_once(
    client: httpx.Client, topic: TopicWatch
) -> None:
    xml = message_xml(MsgType="text", Content="报价", MsgId="6054768590064713728")
    for nonce in ("1", "2", "3"):  # WeChat re-signs each retry
        query, body = encrypted_push(xml, nonce=nonce)
        assert client.post(URL, params=query, content=body).text == "success"
    [event] = topic.events(1)
    assert event["properties"] == {
        "msg_type": "text",
        "msg_id": "6054768590064713728",
        "content": "报价",
    }


def test_plain_mode_account_accepts_signed_plain_pushes(
    client: httpx.Client, topic: TopicWatch
) -> None:
    xml = message_xml(MsgType="event", Event="CLICK", EventKey="PRICING")
    answer = client.post(f"/v1/channels/wechat/{PLAIN_APPID}", params=plain_push(xml), content=xml)
    assert answer.text == "success"
    [event] = topic.events(1)
    assert event["type"] == "wechat_menu_clicked" and event["source"] == f"wechat-{PLAIN_APPID}"


@pytest.mark.parametrize(
    ("case", "status", "code"),
    [
        ("forged msg_signature", 403, "bad_signature"),
        ("stale timestamp", 403, "stale_timestamp"),
        ("unencrypted push to a safe-mode account", 403, "bad_signature"),
        ("another account's AppID", 403, "appid_mismatch"),
        ("DTD in the body", 400, "forbidden_xml"),
        ("malformed XML", 400, "malformed_xml"),
        ("event without its sender", 400, "malformed_xml"),
        ("unknown account", 404, "unknown_account"),
    ],
)
def test_refused_pushes_publish_nothing(
    client: httpx.Client, topic: TopicWatch, case: str, status: int, code: str
) -> None:
    xml = message_xml(MsgType="event", Event="unsubscribe")
    query, body = encrypted_push(xml)
    url = URL
    match case:
        case "forged msg_signature":
            query["msg_signature"] = "0" * 40
        case "stale timestamp":
            query, body = encrypted_push(xml, timestamp=1_000_000_000)
        case "unencrypted push to a safe-mode account":
            query, body = plain_push(xml), xml.encode()
        case "another account's AppID":
            query, body = encrypted_push(xml, appid="wxother0000000001")
        case "DTD in the body":
            body = b'<!DOCTYPE xml [<!ENTITY x "y">]><xml><Encrypt>&x;</Encrypt></xml>'
        case "malformed XML":
            query, body = encrypted_push("<xml><MsgType>event</MsgType>")
        case "event without its sender":
            query, body = encrypted_push(
                "<xml><CreateTime>1</CreateTime><MsgType>event</MsgType></xml>"
            )
        case "unknown account":
            url = "/v1/channels/wechat/wx9999999999999999"
    answer = client.post(url, params=query, content=body)
    assert (answer.status_code, answer.json()["code"]) == (status, code), answer.text
    assert answer.json()["message"]
    assert topic.nothing_new()


def counted(client: httpx.Client, outcome: str) -> float:
    line = f'leadfunnel_channel_requests_total{{channel="wechat",outcome="{outcome}"}} '
    text = client.get("/metrics").text
    return next((float(row.split()[-1]) for row in text.splitlines() if row.startswith(line)), 0)


def test_requests_are_counted_by_channel_and_outcome(client: httpx.Client) -> None:
    before = (
        counted(client, "accepted"),
        counted(client, "duplicate"),
        counted(client, "bad_signature"),
    )
    query, body = encrypted_push(message_xml(MsgType="event", Event="CLICK", EventKey="COUNTED"))
    client.post(URL, params=query, content=body)
    client.post(URL, params=query, content=body)
    client.post(URL, params={**query, "msg_signature": "0" * 40}, content=body)
    after = (
        counted(client, "accepted"),
        counted(client, "duplicate"),
        counted(client, "bad_signature"),
    )
    assert [b - a for a, b in zip(before, after, strict=True)] == [1, 1, 1]
