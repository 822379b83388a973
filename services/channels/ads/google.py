"""Google Ads lead form webhook → an `ad_lead_submitted` event (key checked, deduped on lead_id)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from services.channels.dedupe import derived_event_id
from services.channels.drafts import Draft
from services.channels.reasons import bad_signature, same_secret
from services.ingest.rejections import Rejection, from_validation_error

PLATFORM = "google_ads"
EMAILS, PHONES = ("EMAIL", "WORK_EMAIL"), ("PHONE_NUMBER", "WORK_PHONE")
# Answers kept in clear for scoring and routing; addresses are personal data we do not need.
KEPT_COLUMNS = ("REGION", "COUNTRY")
# Answers that are contact details: sealed by the PII vault (docs/privacy.md), never in clear.
CONTACT_COLUMNS = {
    "FULL_NAME": "name",
    "COMPANY_NAME": "company",
    "JOB_TITLE": "job_title",
    "CITY": "city",
}
Id = str | None  # Google sends numbers; coerce_numbers_to_str makes them strings


class GoogleColumn(BaseModel):
    """One answer of the lead form."""

    column_id: str | None = None
    column_name: str | None = None
    string_value: str | None = None


class GoogleLead(BaseModel):
    """Google's lead form webhook body (fields we do not use are ignored)."""

    model_config = ConfigDict(extra="ignore", coerce_numbers_to_str=True)
    lead_id: str = Field(min_length=1, max_length=200)
    google_key: str
    campaign_id: Id = None
    adgroup_id: Id = None
    creative_id: Id = None
    form_id: Id = None
    gcl_id: str | None = Field(default=None, max_length=512)
    is_test: bool = False
    user_column_data: list[GoogleColumn] = []


def check_key(data: Any, expected: str) -> Rejection | None:
    """A 403 unless the body's `google_key` is the configured one (constant-time)."""
    given = data.get("google_key") if isinstance(data, dict) else None
    if not expected or not isinstance(given, str) or not same_secret(given, expected):
        return bad_signature("google_key does not match the configured key")
    return None


def _answers(lead: GoogleLead) -> dict[str, str]:
    return {
        c.column_id: c.string_value for c in lead.user_column_data if c.column_id and c.string_value
    }


def google_draft(data: Any, received_at: datetime) -> Draft | Rejection:
    """The lead as a draft: hashed email / phone, gclid as the click, test leads tagged."""
    try:
        lead = GoogleLead.model_validate(data)
    except ValidationError as error:
        return from_validation_error(error)
    answers = _answers(lead)
    identities = {
        "ad_lead_id": f"{PLATFORM}:{lead.lead_id}",
        "ad_click_id": lead.gcl_id or None,
        "email": next((answers[c] for c in EMAILS if c in answers), None),
        "phone": next((answers[c] for c in PHONES if c in answers), None),
    }
    properties = {
        "platform": PLATFORM,
        "lead_id": lead.lead_id,
        "campaign_id": lead.campaign_id,
        "creative_id": lead.creative_id,
        "is_test": lead.is_test,
    }
    form = {column.lower(): answers[column][:200] for column in KEPT_COLUMNS if column in answers}
    contact = {
        ours: answers[theirs] for theirs, ours in CONTACT_COLUMNS.items() if theirs in answers
    }
    if "name" not in contact and ("FIRST_NAME" in answers or "LAST_NAME" in answers):
        parts = (answers.get("FIRST_NAME", ""), answers.get("LAST_NAME", ""))
        contact["name"] = " ".join(part for part in parts if part)
    context = {"form_id": lead.form_id, "adgroup_id": lead.adgroup_id, "lead_form": form}
    return Draft(
        type="ad_lead_submitted",
        event_id=derived_event_id(PLATFORM, lead.lead_id),
        occurred_at=received_at,  # the webhook carries no submit time: it is sent right away
        identities=identities,
        properties=properties,
        campaign=lead.campaign_id,
        context={**{k: v for k, v in context.items() if v}, "is_test": lead.is_test},
        contact=contact,
    )
