"""Shared steps of the messaging tests."""

from __future__ import annotations

import uuid
from typing import Any

from django.core.files.uploadedfile import SimpleUploadedFile

from openipt.accounts.models import User
from openipt.messaging.models import Message
from openipt.messaging.services import message_send
from openipt.practice.models import Client
from tests.world import World

# The first bytes of real files of each allowed kind (enough for the type check).
PDF_BYTES = b"%PDF-1.4\n1 0 obj\n<< /Type /Catalog >>\nendobj\ntrailer\n%%EOF\n"
PNG_BYTES = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + b"\x00" * 32
JPEG_BYTES = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + b"\x00" * 32
TEXT_BYTES = b"Notes for next week: talk about the move.\n"


def new_key() -> str:
    return uuid.uuid4().hex


def upload(name: str, content: bytes, content_type: str = "application/pdf") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, content_type=content_type)


def send(
    world: World,
    actor: User | None = None,
    body: str = "Hello, I wanted to ask about Thursday.",
    *,
    client: Client | None = None,
    key: str | None = None,
    **extra: Any,
) -> Message:
    """A message in Alice's thread (client_1), by Alice unless another actor is given."""
    return message_send(
        actor=actor or world.client_user_1,
        client=client or world.client_1,
        body=body,
        idempotency_key=key or new_key(),
        **extra,
    )
