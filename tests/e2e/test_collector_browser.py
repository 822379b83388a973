"""The collector snippet in headless chromium: page view, download and form, read from Kafka."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import orjson
import pytest
from selenium import webdriver
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

from services.channels.config import DEFAULT_BOT_USER_AGENTS
from services.pii import keyed_hash
from services.settings import DEV_WRITE_KEY, Settings
from tests.e2e.browser import start_chromium
from tests.support.channel_server import TopicWatch
from tests.support.ingest import own_topics, running_ingest

PAGE = """<!doctype html><html><head><meta charset="utf-8"><title>Pricing</title>
<script async src="{ingest}/v1/channels/website/collector.js" data-write-key="{key}"></script>
</head><body>
<a id="download" href="/files/whitepaper.pdf" download data-asset-kind="whitepaper"
   data-asset-id="wp-2024">Industry whitepaper</a>
<form id="trial" method="post" action="/thanks">
  <input name="email" type="email"><input name="mobile" type="text">
  <input name="company" type="text"><button id="submit" type="submit">Start trial</button>
</form></body></html>"""


def local_site(pages: dict[str, str]) -> tuple[ThreadingHTTPServer, str]:
    """The marketer's site: `pages["/pricing"]`, a file to download, a thank-you page."""

    class Site(BaseHTTPRequestHandler):
        def _send(self, body: bytes, kind: str) -> None:
            self.send_response(200)
            self.send_header("Content-Type", kind)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def do_GET(self) -> None:
            if self.path.startswith("/files/"):
                self._send(b"%PDF-1.4\n%%EOF\n", "application/pdf")
            else:
                self._send(pages.get(self.path, "").encode(), "text/html; charset=utf-8")

        def do_POST(self) -> None:
            self.rfile.read(int(self.headers.get("Content-Length", 0)))
            self._send(b"<!doctype html><title>Thanks</title>Thanks!", "text/html")

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Site)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, f"http://127.0.0.1:{server.server_address[1]}"


@pytest.fixture
def chromium(tmp_path: Path) -> Iterator[webdriver.Chrome]:
    """Debian's chromium under its chromedriver, fresh profile; fails when they are missing."""
    prefs = {"download.default_directory": str(tmp_path)}
    session = start_chromium(tmp_path / "profile", prefs=prefs)
    try:
        yield session
    finally:
        session.quit()


def read_until(topic: TopicWatch, types: set[str], timeout: float = 20) -> dict[str, Any]:
    """The first event of each wanted type appended to the topic."""
    found: dict[str, Any] = {}
    for partition, offset in topic.start.items():
        topic.consumer.seek(partition, offset)
    deadline = time.monotonic() + timeout
    while not types <= set(found) and time.monotonic() < deadline:
        for batch in topic.consumer.poll(timeout_ms=300).values():
            for record in batch:
                event = orjson.loads(record.value)
                found.setdefault(event["type"], event)
    assert types <= set(found), f"only {sorted(found)} arrived"
    return found


def test_page_view_download_and_form_reach_kafka_from_a_real_browser(
    kafka_bootstrap: str, chromium: webdriver.Chrome
) -> None:
    pages: dict[str, str] = {}
    site, origin = local_site(pages)
    humans_only = [pattern for pattern in DEFAULT_BOT_USER_AGENTS if "Headless" not in pattern]
    settings: Settings = own_topics(kafka_bootstrap).model_copy(
        update={"collector_allowed_origins": [origin], "collector_bot_user_agents": humans_only}
    )
    topic = TopicWatch(settings)
    try:
        with running_ingest(settings) as ingest:
            pages["/pricing"] = PAGE.format(ingest=ingest, key=DEV_WRITE_KEY)
            chromium.get(f"{origin}/pricing")
            loaded = "return !!window.leadfunnel"
            WebDriverWait(chromium, 10).until(lambda driver: driver.execute_script(loaded))
            chromium.find_element(By.ID, "download").click()
            time.sleep(1.2)  # dwell on the page
            chromium.find_element(By.NAME, "email").send_keys("Li.Wei@Example.cn")
            chromium.find_element(By.NAME, "mobile").send_keys("138 0013 8000")
            chromium.find_element(By.NAME, "company").send_keys("Acme")
            chromium.find_element(By.ID, "submit").click()
            WebDriverWait(chromium, 10).until(lambda driver: driver.title == "Thanks")
            wanted = {"page_viewed", "asset_downloaded", "form_submitted", "identify"}
            events = read_until(topic, wanted)
    finally:
        topic.close()
        site.shutdown()
    anonymous = {event["identities"]["anonymous_id"] for event in events.values()}
    assert len(anonymous) == 1
    assert events["page_viewed"]["properties"]["dwell_seconds"] >= 1
    assert events["asset_downloaded"]["properties"]["asset_kind"] == "whitepaper"
    assert events["asset_downloaded"]["properties"]["asset_id"] == "wp-2024"
    assert events["form_submitted"]["properties"]["form_id"] == "trial"
    identify = events["identify"]["identities"]
    secret = settings.pii_hmac_secret
    assert identify["email_hash"] == keyed_hash(secret, "li.wei@example.cn")
    assert identify["phone_hash"] == keyed_hash(secret, "+8613800138000")
    assert b"Acme" not in orjson.dumps(events) and b"Li.Wei" not in orjson.dumps(events)
