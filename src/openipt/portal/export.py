"""Everything the practice holds about a client that the client is entitled to read.

Assembled from each app's own selectors, always for the client's own record
(obtained with `own_client_record`). The same dictionary is downloaded as
JSON and shown as a readable, printable page.

Left out, on purpose: process notes and every other text written for the
clinical team (session write-ups, technique details, the inventory's
details, experiment review notes, risk-alert handling, supervisors' notes),
and the flags staff put on messages. The page says so, and says the client
may ask the practice for a full copy of the record.
"""

from __future__ import annotations

import datetime
from typing import TYPE_CHECKING, Any

from django.utils import timezone

from openipt.appointments import selectors as appointments
from openipt.courses.selectors.client_portal import courses_export_for_client
from openipt.diary.selectors import all_entries_for_client
from openipt.measures import selectors as measure_selectors
from openipt.messaging import selectors as messaging
from openipt.practice.selectors import care_team_for_client
from openipt.safety.selectors import plan_latest

if TYPE_CHECKING:
    from openipt.accounts.models import User
    from openipt.practice.models import Client

FORMAT_VERSION = 1


def _iso(value: datetime.date | datetime.datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def _client_record(client: Client) -> dict[str, Any]:
    return {
        "given_name": client.given_name,
        "family_name": client.family_name,
        "preferred_name": client.preferred_name,
        "pronouns": client.pronouns,
        "date_of_birth": _iso(client.date_of_birth),
        "language": client.language,
        "email": client.email,
        "phone": client.phone,
        "address": client.address,
        "emergency_contact": {
            "name": client.emergency_contact_name,
            "relationship": client.emergency_contact_relationship,
            "phone": client.emergency_contact_phone,
        },
        "access_needs": client.access_needs,
        "status": client.status,
    }


def _questionnaires(client: Client) -> list[dict[str, Any]]:
    instruments = measure_selectors.instruments_for_practice(client.practice)
    rows = []
    for course in client.courses.order_by("start_date", "id"):
        for administration in measure_selectors.current_administrations(course).order_by(
            "administered_at", "id"
        ):
            instrument = instruments.get(administration.instrument_code)
            band = ""
            if instrument is not None:
                try:
                    band = instrument.band_for(administration.total).label
                except ValueError:
                    band = ""
            rows.append(
                {
                    "questionnaire": (
                        instrument.short_title if instrument else administration.instrument_code
                    ),
                    "code": administration.instrument_code,
                    "completed_at": _iso(administration.administered_at),
                    "total": administration.total,
                    "severity": band,
                    "answers": administration.answers,
                }
            )
    return rows


def _diary(client: Client) -> list[dict[str, Any]]:
    return [
        {
            "date": _iso(e.date),
            "mood": e.mood,
            "note": e.note,
            "people": [p.name for p in e.people.all()],
        }
        for e in all_entries_for_client(client=client)
    ]


def _safety_plan(client: Client) -> dict[str, Any] | None:
    latest = plan_latest(client)
    if latest is None:
        return None
    return {
        "version": latest.number,
        "updated_at": _iso(latest.created_at),
        "sections": [{"heading": heading, "text": text} for _n, heading, text in latest.sections()],
    }


def _messages(user: User) -> list[dict[str, Any]]:
    access = messaging.own_thread_access(user=user)
    return [
        {
            "sent_at": _iso(line.message.created_at),
            "from": "me" if line.message.from_client else str(line.message.author),
            "text": line.message.body,
            "attachment": line.attachment.original_name if line.attachment is not None else None,
            "read_by_other_side_at": _iso(line.read_at),
        }
        for line in messaging.conversation(access=access, actor=user)
    ]


def _appointments(client: Client) -> list[dict[str, Any]]:
    return [
        {
            "starts_at": _iso(a.starts_at),
            "ends_at": _iso(a.ends_at),
            "with": str(a.clinician),
            "kind": a.kind,
            "location": a.location,
            "status": a.status,
        }
        for a in appointments.all_own_appointments(client=client)
    ]


def client_data(*, client: Client, user: User) -> dict[str, Any]:
    """The client's own data as plain JSON values."""
    data: dict[str, Any] = {
        "format": "openipt-client-data",
        "format_version": FORMAT_VERSION,
        "generated_at": timezone.now().isoformat(),
        "practice": client.practice.name,
        "client": _client_record(client),
        "care_team": [
            {"name": str(m.user), "role": m.role} for m in care_team_for_client(client=client)
        ],
        "courses": courses_export_for_client(client=client),
        "questionnaires": _questionnaires(client),
        "diary": _diary(client),
        "safety_plan": _safety_plan(client),
        "messages": _messages(user),
        "appointments": _appointments(client),
    }
    return data
