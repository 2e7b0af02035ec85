"""Access to the secure message pages.

A client's thread: the client (on their own page), the clinicians on their care
team, and the practice's supervisors (reading only) — everyone else gets the
same 404 as for a missing client. The inbox is for clinicians and supervisors;
a client who types its address is sent to their own messages.
"""

from __future__ import annotations

import uuid
from typing import Any

from django.core.files.uploadedfile import SimpleUploadedFile

from openipt.messaging.services import message_send
from tests.access.spec import REDIRECT, Entry, outcomes
from tests.world import World


def _alices_message(world: World, **extra: Any) -> Any:
    return message_send(
        actor=world.client_user_1,
        client=world.client_1,
        body="A message for the access matrix",
        idempotency_key=uuid.uuid4().hex,
        **extra,
    )


def _message(world: World) -> dict[str, Any]:
    return {"public_id": _alices_message(world).public_id}


def _attachment(world: World) -> dict[str, Any]:
    upload = SimpleUploadedFile("note.txt", b"A short note.\n", content_type="text/plain")
    return {"public_id": _alices_message(world, attachment=upload).attachment.public_id}


ENTRIES: dict[str, Entry] = {
    "messaging:my_thread": Entry(outcomes(404, client=200, client_b=200)),
    "messaging:inbox": Entry(
        outcomes(
            403,
            clinician=200,
            colleague=200,
            supervisor=200,
            clinician_b=200,
            client=REDIRECT,
            client_b=REDIRECT,
        )
    ),
    "messaging:thread": Entry(
        outcomes(404, clinician=200, supervisor=200),
        args=lambda w: {"client_id": w.client_1.public_id},
    ),
    "messaging:flag": Entry(
        outcomes(404, clinician=REDIRECT, supervisor=403),
        method="POST",
        args=_message,
        data=lambda w: {"flagged": "1"},
    ),
    "messaging:attachment": Entry(
        outcomes(404, client=200, clinician=200, supervisor=200), args=_attachment
    ),
}
