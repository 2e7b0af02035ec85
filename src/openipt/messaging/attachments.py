"""Attachment files: what is allowed, how the type is decided, where and how they are kept.

The type is decided by the file's first bytes, never by its name or by what the
browser says: a file called "notes.pdf" that is really a web page is refused.
Only four kinds are accepted (PDF, PNG, JPEG and plain UTF-8 text) because they
can be opened safely and cover letters, photos of letters and notes.

Files are kept encrypted (with the keys of the clinical text) under
settings.ATTACHMENT_DIR, a directory no URL maps to, with a random name; the
only way out is the download view, which checks that the person belongs to
the thread.
"""

from __future__ import annotations

import base64
import re
import secrets
import unicodedata
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.utils.translation import gettext as _

from openipt.core.crypto import decrypt_text, encrypt_text, rotate_ciphertext

PDF = "application/pdf"
PNG = "image/png"
JPEG = "image/jpeg"
TEXT = "text/plain"

# The extension a downloaded file gets when its name does not already end in one
# that fits its real type (so "report.html" that is really text saves as .txt).
EXTENSIONS: dict[str, tuple[str, ...]] = {
    PDF: (".pdf",),
    PNG: (".png",),
    JPEG: (".jpg", ".jpeg"),
    TEXT: (".txt", ".text"),
}
MAX_NAME_LENGTH = 120
_STORED_NAME = re.compile(r"^[0-9a-f]{32}$")
# Control characters other than tab, line feed, form feed and carriage return.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0e-\x1f\x7f]")


def max_bytes() -> int:
    return int(settings.ATTACHMENT_MAX_BYTES)


def sniff(head: bytes, whole: bytes) -> str | None:
    """The real type of a file from its content, or None if it is none of the allowed ones."""
    if head.startswith(b"%PDF-"):
        return PDF
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return PNG
    if head.startswith(b"\xff\xd8\xff"):
        return JPEG
    try:
        text = whole.decode("utf-8")
    except UnicodeDecodeError:
        return None
    if not text.strip() or _CONTROL.search(text):
        return None
    return TEXT


def human_size(size: int) -> str:
    if size >= 1024 * 1024:
        megabytes = size / (1024 * 1024)
        return f"{megabytes:.0f} MB" if megabytes == int(megabytes) else f"{megabytes:.1f} MB"
    if size >= 1024:
        return f"{max(size // 1024, 1)} KB"
    return f"{size} bytes"


@dataclass(frozen=True)
class CheckedFile:
    name: str
    content_type: str
    content: bytes

    @property
    def size(self) -> int:
        return len(self.content)


def clean_name(raw: str) -> str:
    """A display and download name: no folders, no control characters, not too long."""
    name = unicodedata.normalize("NFC", raw or "")
    name = name.replace("\\", "/").rsplit("/", 1)[-1]
    name = _CONTROL.sub("", name).replace('"', "'").strip().lstrip(".")
    if len(name) > MAX_NAME_LENGTH:
        _stem, dot, ext = name.rpartition(".")
        keep = ext if dot and len(ext) <= 8 else ""
        name = name[: MAX_NAME_LENGTH - len(keep) - 1].rstrip() + ("." + keep if keep else "")
    return name or "attachment"


def download_name(name: str, content_type: str) -> str:
    """`name`, with the extension of its real type added when it does not have one."""
    extensions = EXTENSIONS.get(content_type, ())
    if extensions and not name.lower().endswith(extensions):
        return f"{name}{extensions[0]}"
    return name


def check_upload(upload: UploadedFile) -> CheckedFile:
    """Read and check an uploaded file; ValidationError with a plain reason if it is refused."""
    limit = max_bytes()
    size = upload.size or 0
    if size > limit:
        raise ValidationError(
            _("This file is %(size)s. Files can be at most %(limit)s.")
            % {"size": human_size(size), "limit": human_size(limit)},
            code="too_large",
        )
    # Read one byte more than allowed, so a size the browser got wrong cannot slip through.
    content = upload.read(limit + 1)
    if len(content) > limit:
        raise ValidationError(
            _("This file is larger than %(limit)s.") % {"limit": human_size(limit)},
            code="too_large",
        )
    if not content:
        raise ValidationError(_("This file is empty."), code="empty")
    content_type = sniff(content[:16], content)
    if content_type is None:
        raise ValidationError(
            _(
                "This kind of file cannot be sent. You can attach a PDF, a PNG or JPEG "
                "picture, or a plain text file."
            ),
            code="bad_type",
        )
    return CheckedFile(
        name=clean_name(upload.name or ""), content_type=content_type, content=content
    )


def _directory() -> Path:
    return Path(settings.ATTACHMENT_DIR)


def path_for(stored_name: str) -> Path:
    if not _STORED_NAME.match(stored_name):
        raise ValueError("Not a stored attachment name.")
    return _directory() / stored_name


def store(content: bytes) -> str:
    """Write `content` encrypted under a new random name, and return that name."""
    directory = _directory()
    directory.mkdir(mode=0o700, parents=True, exist_ok=True)
    stored_name = secrets.token_hex(16)
    sealed = encrypt_text(base64.b64encode(content).decode("ascii"))
    path = path_for(stored_name)
    # "x": never overwrite; a clash of 128 random bits would be a bug worth an error.
    with path.open("x", encoding="ascii") as handle:
        handle.write(sealed)
    path.chmod(0o600)
    return stored_name


def load(stored_name: str) -> bytes:
    sealed = path_for(stored_name).read_text(encoding="ascii")
    return base64.b64decode(decrypt_text(sealed))


def discard(stored_name: str) -> None:
    """Remove a file whose database row was never committed."""
    path_for(stored_name).unlink(missing_ok=True)


def rotate(stored_name: str) -> None:
    """Re-encrypt one file with the newest key (for `rotate_keys`), replacing it atomically."""
    path = path_for(stored_name)
    rotated = rotate_ciphertext(path.read_text(encoding="ascii"))
    partial = path.with_name(f"{stored_name}.rotating")
    partial.write_text(rotated, encoding="ascii")
    partial.chmod(0o600)
    partial.replace(path)
