"""Configuration models of the channel adapters (fields of the one Settings object)."""

from __future__ import annotations

import base64
import binascii
from typing import Literal

from pydantic import BaseModel, Field, model_validator

# Case-insensitive regular expressions; a user agent matching any is a bot and is dropped.
DEFAULT_BOT_USER_AGENTS: list[str] = [
    r"bot\b|bot/|crawl|spider|slurp|archiver",
    r"HeadlessChrome|PhantomJS|Lighthouse|Prerender",
    r"facebookexternalhit|WhatsApp|Bytespider|Baiduspider|YisouSpider|Sogou",
    r"^(curl|wget|python-requests|python-urllib|Go-http-client|okhttp|Java)/",
]


class WechatAccount(BaseModel):
    """One official account (公众号) as configured in its console's server settings."""

    appid: str = Field(pattern=r"^wx[0-9a-zA-Z]{6,32}$")
    token: str = Field(min_length=3, max_length=32, repr=False)
    encoding_aes_key: str = Field(default="", repr=False, description="43 characters; plain: ''")
    mode: Literal["plain", "compat", "safe"] = "safe"
    write_key: str = Field(default="", description="write key name: event source and rate limit")

    @model_validator(mode="after")
    def _key_fits_mode(self) -> WechatAccount:
        if self.mode == "plain" and not self.encoding_aes_key:
            return self
        if len(self.encoding_aes_key) != 43:
            raise ValueError(f"{self.appid}: EncodingAESKey must be 43 characters ({self.mode})")
        try:
            base64.b64decode(self.encoding_aes_key + "=", validate=True)
        except binascii.Error as error:
            raise ValueError(f"{self.appid}: EncodingAESKey is not base64") from error
        return self


class AdPushProfile(BaseModel):
    """A Chinese ad platform pushing lead clues; `platform` picks the shipped field mapping."""

    platform: str = Field(pattern=r"^[a-z0-9_]{1,40}$", description="URL segment, metric label")
    secret: str = Field(min_length=8, repr=False, description="HMAC-SHA256 key")
    fields: dict[str, str] = Field(
        default_factory=dict, description="our field → dotted path in their JSON; overrides"
    )
    timestamp_header: str = "X-Timestamp"
    signature_header: str = "X-Signature"
    timezone: str = Field(default="Asia/Shanghai", description="for create times without one")
