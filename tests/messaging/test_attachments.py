"""Attachments: the allowed kinds, decided by content; the size limit; storage out of reach."""

from __future__ import annotations

from io import StringIO
from pathlib import Path

import pytest
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import override_settings
from pytest_django import Settings

from openipt.audit.models import AuditEvent
from openipt.core.crypto import generate_key
from openipt.messaging import attachments
from openipt.messaging.models import Attachment, Message
from tests.messaging.helpers import (
    JPEG_BYTES,
    PDF_BYTES,
    PNG_BYTES,
    TEXT_BYTES,
    new_key,
    send,
    upload,
)
from tests.world import World


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (PDF_BYTES, attachments.PDF),
        (PNG_BYTES, attachments.PNG),
        (JPEG_BYTES, attachments.JPEG),
        (TEXT_BYTES, attachments.TEXT),
        ("Ça va. Mañana 😊\n".encode(), attachments.TEXT),
    ],
)
def test_allowed_kinds_are_recognised_by_their_content(content: bytes, expected: str) -> None:
    assert attachments.sniff(content[:16], content) == expected


@pytest.mark.parametrize(
    "content",
    [
        b"MZ\x90\x00\x03\x00\x00\x00",  # a Windows program
        b"PK\x03\x04\x14\x00\x06\x00",  # a zip (or a Word document)
        b"GIF89a\x01\x00\x01\x00",  # a GIF: not on the list
        b"\x00\x01\x02\x03binary",  # binary junk
        b"text with a NUL \x00 in it",
        b"\xff\xfe\x00l\x00a",  # not UTF-8
        b"   \n\t  ",  # nothing but white space
    ],
)
def test_other_kinds_are_refused(content: bytes) -> None:
    assert attachments.sniff(content[:16], content) is None


def test_the_type_comes_from_the_content_not_the_name_or_the_browser(world: World) -> None:
    """GIVEN a Windows program named report.pdf and labelled application/pdf by the browser
    WHEN it is attached THEN it is refused with a clear reason and nothing is stored."""
    fake = upload("report.pdf", b"MZ\x90\x00\x03\x00\x00\x00" + b"\x00" * 64)
    with pytest.raises(ValidationError) as caught:
        send(world, attachment=fake)
    assert "cannot be sent" in str(caught.value.message_dict["attachment"])
    assert not Message.objects.exists()


def test_a_png_named_pdf_is_stored_as_what_it_is(world: World) -> None:
    message = send(world, attachment=upload("scan.pdf", PNG_BYTES, "application/pdf"))
    stored = Attachment.objects.get(message=message)
    assert stored.content_type == attachments.PNG
    assert attachments.download_name(stored.original_name, stored.content_type) == "scan.pdf.png"


@override_settings(ATTACHMENT_MAX_BYTES=1024)
def test_a_file_over_the_size_limit_is_refused(world: World) -> None:
    big = upload("big.txt", b"a" * 1025, "text/plain")
    with pytest.raises(ValidationError) as caught:
        send(world, attachment=big)
    assert "at most 1 KB" in str(caught.value.message_dict["attachment"])
    just_right = upload("ok.txt", b"a" * 1024, "text/plain")
    assert send(world, attachment=just_right).attachment.size == 1024


def test_a_file_alone_is_a_message(world: World) -> None:
    message = send(world, body="", attachment=upload("letter.pdf", PDF_BYTES))
    assert message.body == ""
    assert message.attachment.original_name == "letter.pdf"


def test_attachments_are_encrypted_outside_every_served_directory(
    world: World, attachment_dir: Path
) -> None:
    """GIVEN an attached letter WHEN it is stored THEN its file sits in ATTACHMENT_DIR under
    a random name, encrypted (the letter's words are not in it), and neither the static
    root nor any static source directory nor the media root contains that directory."""
    letter = b"%PDF-1.4\nDear Dr Clinician, Alice Anders was seen on 2 March\n%%EOF"
    message = send(world, attachment=upload("Letter from Dr Who.pdf", letter))
    stored = message.attachment
    path = attachments.path_for(stored.stored_name)

    assert path.parent == attachment_dir
    assert path.is_file()
    assert "Letter" not in path.name and len(path.name) == 32
    raw = path.read_bytes()
    assert b"Alice" not in raw and b"Dear" not in raw
    assert attachments.load(stored.stored_name) == letter

    served = [Path(settings.STATIC_ROOT), *map(Path, settings.STATICFILES_DIRS)]
    if settings.MEDIA_ROOT:
        served.append(Path(settings.MEDIA_ROOT))
    real_dir = Path(settings.ATTACHMENT_DIR).resolve()
    for root in served:
        assert not real_dir.is_relative_to(root.resolve()), root


def test_the_default_attachment_directory_is_not_under_the_static_root() -> None:
    from openipt import settings as project_settings

    attachment_dir = Path(project_settings.ATTACHMENT_DIR).resolve()
    assert not attachment_dir.is_relative_to(Path(project_settings.STATIC_ROOT).resolve())
    assert attachment_dir.is_relative_to(Path(project_settings.DATA_DIR).resolve())
    assert project_settings.ATTACHMENT_MAX_BYTES == 5 * 1024 * 1024


def test_the_file_name_is_encrypted_and_not_audited(world: World) -> None:
    message = send(world, attachment=upload("Psychiatrist letter.pdf", PDF_BYTES))
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT original_name FROM messaging_attachment")
        (stored,) = cursor.fetchone()
    assert stored.startswith("enc1:")
    event = AuditEvent.objects.get(object_type="message_attachment", action="create")
    assert event.object_public_id == message.attachment.public_id
    assert "Psychiatrist" not in repr(event.__dict__)


def test_a_double_submit_with_a_file_stores_one_file(world: World, attachment_dir: Path) -> None:
    key = new_key()
    send(world, key=key, attachment=upload("a.pdf", PDF_BYTES))
    send(world, key=key, attachment=upload("a.pdf", PDF_BYTES))
    assert Attachment.objects.count() == 1
    assert len(list(attachment_dir.iterdir())) == 1


def test_a_send_that_fails_after_storing_the_file_leaves_no_file_behind(
    world: World, attachment_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """GIVEN the audit write fails (so the whole send rolls back) WHEN a file was already
    written THEN the file is removed: no orphan a backup would carry for ever."""

    def broken_audit(*args: object, **kwargs: object) -> None:
        raise RuntimeError("audit unavailable")

    monkeypatch.setattr("openipt.messaging.services.messages._audit", broken_audit)
    with pytest.raises(RuntimeError):
        send(world, attachment=upload("a.pdf", PDF_BYTES))
    assert attachment_dir.is_dir()
    assert list(attachment_dir.iterdir()) == []


@pytest.mark.parametrize(
    ("raw", "clean"),
    [
        ("../../etc/passwd", "passwd"),
        ("C:\\Users\\alice\\letter.pdf", "letter.pdf"),
        (".hidden.txt", "hidden.txt"),
        ('say "hi".txt', "say 'hi'.txt"),
        ("bad\x00\x1fname.txt", "badname.txt"),
        ("", "attachment"),
    ],
)
def test_file_names_are_cleaned(raw: str, clean: str) -> None:
    assert attachments.clean_name(raw) == clean


def test_a_long_file_name_keeps_its_extension() -> None:
    name = attachments.clean_name("a" * 300 + ".pdf")
    assert len(name) <= attachments.MAX_NAME_LENGTH
    assert name.endswith(".pdf")


@pytest.mark.parametrize(
    ("size", "text"),
    [(75, "75 bytes"), (2048, "2 KB"), (5 * 1024 * 1024, "5 MB"), (1536 * 1024, "1.5 MB")],
)
def test_sizes_read_plainly(size: int, text: str) -> None:
    assert attachments.human_size(size) == text


def test_a_file_can_be_rotated_to_a_new_key_and_the_old_key_dropped(
    world: World, settings: Settings
) -> None:
    """GIVEN a file stored under the old key WHEN a new key is added and the file rotated
    THEN it decrypts with the new key alone (rotate_keys can call this for every file)."""
    message = send(world, attachment=upload("a.pdf", PDF_BYTES))
    stored_name = message.attachment.stored_name
    old_key = settings.ENCRYPTION_KEYS[0] if settings.ENCRYPTION_KEYS else None
    assert old_key
    new = generate_key()
    settings.ENCRYPTION_KEYS = [new, old_key]
    attachments.rotate(stored_name)
    settings.ENCRYPTION_KEYS = [new]
    assert attachments.load(stored_name) == PDF_BYTES
    assert not list(attachments.path_for(stored_name).parent.glob("*.rotating"))


def test_rotate_keys_re_encrypts_attachment_files_and_check_sees_them(
    world: World, settings: Settings
) -> None:
    """GIVEN an attachment stored under the old key WHEN a new key is put first
    THEN `rotate_keys --check` counts the file as outdated, `rotate_keys` moves it
    to the new key, and it reads with the new key alone."""
    message = send(world, attachment=upload("a.pdf", PDF_BYTES))
    stored_name = message.attachment.stored_name
    old_key = settings.ENCRYPTION_KEYS[0]
    settings.ENCRYPTION_KEYS = [generate_key(), old_key]
    out = StringIO()
    with pytest.raises(CommandError, match="not on the newest key"):
        call_command("rotate_keys", "--check", stdout=out)
    assert "messaging.Attachment (file): 1 not on the newest key" in out.getvalue()
    out = StringIO()
    call_command("rotate_keys", stdout=out)
    assert "messaging.Attachment (file): 1 re-encrypted" in out.getvalue()
    settings.ENCRYPTION_KEYS = settings.ENCRYPTION_KEYS[:1]
    assert attachments.load(stored_name) == PDF_BYTES
