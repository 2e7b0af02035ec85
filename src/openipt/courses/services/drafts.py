"""Autosaved drafts of notes being typed (security promise 6).

The browser posts the text of each marked textarea a few seconds after typing
stops; the server keeps one draft per author, course and key, encrypted like
any other clinical text. A draft belongs to its author alone: nobody else's
page ever shows it. A successful save of the form deletes its drafts.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from django.core.exceptions import ValidationError
from django.db import transaction

from openipt.audit.models import AuditAction
from openipt.courses.models import Course, NoteDraft
from openipt.courses.services.course import _audit, require_writer
from openipt.courses.services.sessions import MAX_TEXT_LENGTH

if TYPE_CHECKING:
    from openipt.accounts.models import User

# Keys name a form and a field, such as `session:new:summary` or
# `session:<uuid>:tech:role_play:scenario`; never free text.
DRAFT_KEY = re.compile(r"^[a-z0-9_:\-]{1,100}$")


def _check_key(key: str) -> None:
    if not DRAFT_KEY.match(key):
        raise ValidationError("This draft cannot be saved.")


@transaction.atomic
def draft_save(
    *, actor: User, course: Course, key: str, text: str, base_version: int = 0
) -> NoteDraft:
    """Create or replace the actor's draft `key` for this course."""
    require_writer(actor, course)
    _check_key(key)
    if len(text) > MAX_TEXT_LENGTH:
        raise ValidationError(f"Keep this under {MAX_TEXT_LENGTH:,} characters.")
    if base_version < 0:
        raise ValidationError("This draft cannot be saved.")
    draft, created = NoteDraft.objects.select_for_update().get_or_create(
        author=actor,
        course=course,
        key=key,
        defaults={"text": text, "base_version": base_version},
    )
    if not created:
        draft.text = text
        draft.base_version = base_version
        draft.save(update_fields=["text", "base_version", "updated_at"])
    _audit(
        actor,
        course,
        AuditAction.CREATE if created else AuditAction.UPDATE,
        "note_draft",
        ["text", "base_version"],
        draft.public_id,
    )
    return draft


@transaction.atomic
def drafts_discard(*, actor: User, course: Course, prefix: str) -> int:
    """Delete the actor's drafts whose key starts with `prefix`; returns how many.

    Only the author's own drafts are touched. Discarding is allowed on a closed
    course too, so that nothing typed lingers after the course ends.
    """
    _check_key(prefix)
    drafts = list(NoteDraft.objects.filter(author=actor, course=course, key__startswith=prefix))
    for draft in drafts:
        _audit(actor, course, AuditAction.UPDATE, "note_draft", ["discarded"], draft.public_id)
    if drafts:
        NoteDraft.objects.filter(pk__in=[d.pk for d in drafts]).delete()
    return len(drafts)
