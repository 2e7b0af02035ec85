"""Autosaved drafts (promise 6 and "Notes autosave drafts and survive a timeout").

drafts.js posts the text of each marked textarea to the draft endpoint; these
tests post exactly what it posts, then check what the pages do with drafts:
restore a newer one with a notice and a discard button, never show anyone
else's, delete them on a successful save, and keep them across a timeout.
"""

from __future__ import annotations

import datetime
import json
from collections.abc import Callable
from datetime import timedelta

import pytest
from django.test import Client as HttpClient
from django.urls import reverse
from django.utils import timezone

from openipt.accounts.models import User
from openipt.audit.models import AuditEvent
from openipt.courses.models import NoteDraft, ProcessNote, Session
from openipt.courses.services.sessions import SessionContent, session_record
from openipt.practice.models import CareTeamMember
from tests.test_accounts_sessions import MINUTE, age_session
from tests.test_courses_sessions import raw_column
from tests.test_courses_sessions_views import detail_url, new_url, session_form, text_of
from tests.world import World

pytestmark = pytest.mark.django_db

ClientFor = Callable[[User | None], HttpClient]
DRAFT = "Typed-but-not-saved: she said the row was about the baby."


def draft_url(world: World) -> str:
    return reverse("courses:draft_save", kwargs={"public_id": world.course_1.public_id})


def discard_url(world: World) -> str:
    return reverse("courses:draft_discard", kwargs={"public_id": world.course_1.public_id})


def post_draft(
    http: HttpClient, world: World, key: str, text: str = DRAFT, base_version: int = 0
) -> object:
    return http.post(draft_url(world), {"key": key, "text": text, "base_version": base_version})


def test_the_endpoint_keeps_one_encrypted_draft_per_author_course_and_key(
    world: World, client_for: ClientFor
) -> None:
    http = client_for(world.clinician)
    first = http.post(draft_url(world), {"key": "session:new:summary", "text": "one"})
    assert first.status_code == 200
    assert json.loads(first.content)["saved"] is True
    http.post(draft_url(world), {"key": "session:new:summary", "text": DRAFT})
    draft = NoteDraft.objects.get()
    assert (draft.author, draft.course, draft.key, draft.text) == (
        world.clinician,
        world.course_1,
        "session:new:summary",
        DRAFT,
    )
    stored = raw_column(NoteDraft._meta.db_table, "text", draft.pk)
    assert stored.startswith("enc1:")
    assert DRAFT not in stored


def test_draft_writes_are_audited_with_field_names_only(
    world: World, client_for: ClientFor
) -> None:
    http = client_for(world.clinician)
    post_draft(http, world, "session:new:summary")
    post_draft(http, world, "session:new:summary", text=DRAFT + " more")
    events = list(AuditEvent.objects.filter(object_type="note_draft").order_by("sequence"))
    assert [e.action for e in events] == ["create", "update"]
    for event in events:
        assert event.changed_fields == ["base_version", "text"]
        assert event.subject_client_public_id == world.client_1.public_id
        assert DRAFT not in json.dumps(event.changed_fields)


@pytest.mark.parametrize(
    "data",
    [
        {"key": "", "text": "x"},
        {"key": "Session New Summary!", "text": "x"},
        {"key": "k" * 101, "text": "x"},
        {"key": "session:new:summary", "text": "x" * 20_001},
        {"key": "session:new:summary", "text": "x", "base_version": "-1"},
        {"key": "session:new:summary", "text": "x", "base_version": "many"},
    ],
)
def test_bad_draft_posts_are_a_400_never_a_500(
    world: World, client_for: ClientFor, data: dict[str, str]
) -> None:
    response = client_for(world.clinician).post(draft_url(world), data)
    assert response.status_code == 400
    assert json.loads(response.content)["saved"] is False
    assert not NoteDraft.objects.exists()


def test_a_get_of_the_draft_endpoint_is_refused(world: World, client_for: ClientFor) -> None:
    assert client_for(world.clinician).get(draft_url(world)).status_code == 405


def test_the_new_session_page_restores_the_draft_with_a_notice(
    world: World, client_for: ClientFor
) -> None:
    """GIVEN the clinician typed into the new session form and the text was autosaved
    WHEN they open the form again THEN the text is back in its field, with
    "Restored your unsaved draft from HH:MM" and a button to discard it."""
    http = client_for(world.clinician)
    post_draft(http, world, "session:new:interval_history")
    post_draft(http, world, "session:new:tech:communication_analysis:what_said", "You never")
    page = text_of(http.get(new_url(world)))
    saved_at = timezone.localtime(NoteDraft.objects.latest("updated_at").updated_at)
    assert f"Restored your unsaved draft from {saved_at:%H:%M}" in page
    assert "Discard draft" in page
    assert f">\n{DRAFT}</textarea>" in page
    assert ">\nYou never</textarea>" in page
    # A technique whose fields were drafted comes back ticked, so its fields show.
    assert 'value="communication_analysis" id="id_techniques_4" checked' in page


def test_discarding_the_draft_shows_the_saved_record_again(
    world: World, client_for: ClientFor
) -> None:
    http = client_for(world.clinician)
    post_draft(http, world, "session:new:summary")
    response = http.post(discard_url(world), {"key_prefix": "session:new:", "next": new_url(world)})
    assert response.status_code == 302
    assert response["Location"] == new_url(world)
    assert not NoteDraft.objects.exists()
    page = text_of(http.get(new_url(world)))
    assert DRAFT not in page
    assert "Restored your unsaved draft" not in page
    assert AuditEvent.objects.filter(
        object_type="note_draft", changed_fields=["discarded"]
    ).exists()


def test_discard_never_redirects_off_the_course(world: World, client_for: ClientFor) -> None:
    http = client_for(world.clinician)
    for target in ("https://evil.example/", "//evil.example/", "/clients/"):
        response = http.post(discard_url(world), {"key_prefix": "session:new:", "next": target})
        assert response["Location"] == reverse(
            "courses:sessions", kwargs={"public_id": world.course_1.public_id}
        )


def test_a_successful_save_deletes_the_drafts(world: World, client_for: ClientFor) -> None:
    http = client_for(world.clinician)
    post_draft(http, world, "session:new:summary")
    assert http.post(new_url(world), session_form()).status_code == 302
    assert not NoteDraft.objects.exists()
    session = Session.objects.get(number=2)
    key = f"session:{session.public_id}:process_note"
    post_draft(http, world, key, base_version=1)
    data = session_form(process_note="Saved now.", version="1", note_version="1")
    assert http.post(detail_url(world, session), data).status_code == 302
    assert not NoteDraft.objects.filter(key=key).exists()


def test_a_draft_older_than_the_saved_record_is_not_restored(
    world: World, client_for: ClientFor
) -> None:
    http = client_for(world.clinician)
    key = f"session:{world.session_1.public_id}:summary"
    post_draft(http, world, key, base_version=1)
    NoteDraft.objects.filter(key=key).update(updated_at=timezone.now() - timedelta(hours=1))
    page = text_of(http.get(detail_url(world, world.session_1)))
    assert DRAFT not in page
    assert "Restored your unsaved draft" not in page


def test_a_draft_typed_against_an_older_version_cannot_silently_overwrite(
    world: World, client_for: ClientFor
) -> None:
    """GIVEN a draft of session 1's summary typed against version 1, and a colleague's
    save meanwhile (version 2) WHEN the draft is restored and saved THEN the save is a 409:
    the colleague's work is not overwritten, and the draft's text stays in the form."""
    http = client_for(world.clinician)
    key = f"session:{world.session_1.public_id}:summary"
    Session.objects.filter(pk=world.session_1.pk).update(
        version=2, summary="Colleague's summary.", updated_at=timezone.now() - timedelta(minutes=5)
    )
    post_draft(http, world, key, base_version=1)
    page = text_of(http.get(detail_url(world, world.session_1)))
    assert DRAFT in page
    assert 'name="version" value="1"' in page
    data = session_form(
        summary=DRAFT, version="1", date="2026-09-01", interval_history="First meeting."
    )
    response = http.post(detail_url(world, world.session_1), data)
    assert response.status_code == 409
    assert DRAFT in text_of(response)
    world.session_1.refresh_from_db()
    assert world.session_1.summary == "Colleague's summary."


def test_another_users_draft_is_never_shown(world: World, client_for: ClientFor) -> None:
    """GIVEN two clinicians on Alice's care team, and the colleague's draft of a new
    session WHEN the first clinician opens the new session page THEN the colleague's text
    does not appear (drafts belong to their author alone)."""
    CareTeamMember.objects.create(client=world.client_1, user=world.colleague, role="clinician")
    post_draft(client_for(world.colleague), world, "session:new:summary")
    page = text_of(client_for(world.clinician).get(new_url(world)))
    assert DRAFT not in page
    assert "Restored your unsaved draft" not in page
    # And the colleague's own page does show it.
    assert DRAFT in text_of(client_for(world.colleague).get(new_url(world)))
    # Discarding as the clinician leaves the colleague's draft alone.
    client_for(world.clinician).post(discard_url(world), {"key_prefix": "session:new:"})
    assert NoteDraft.objects.filter(author=world.colleague).count() == 1


def test_the_supervisor_cannot_write_drafts(world: World, client_for: ClientFor) -> None:
    response = post_draft(client_for(world.supervisor), world, "session:new:summary")
    assert response.status_code == 403  # type: ignore[attr-defined]
    assert not NoteDraft.objects.exists()


def test_typed_text_survives_a_timeout_and_a_new_sign_in(
    world: World, client_for: ClientFor
) -> None:
    """GIVEN a clinician typing a process note in session 2, autosaved a moment ago
    WHEN they stay idle past the staff limit, are signed out, and sign in again
    THEN the session page shows their draft text, restored, ready to save."""
    session = session_record(
        actor=world.clinician,
        course=world.course_1,
        number=2,
        content=SessionContent(date=datetime.date(2026, 9, 8)),
    )
    http = client_for(world.clinician)
    key = f"session:{session.public_id}:process_note"
    assert post_draft(http, world, key).status_code == 200  # type: ignore[attr-defined]

    age_session(http, idle=16 * MINUTE)
    timed_out = http.get(detail_url(world, session))
    assert timed_out.status_code == 302
    assert timed_out["Location"].startswith(reverse("account_login"))
    assert DRAFT not in text_of(timed_out)
    # An autosave arriving after the timeout is not stored, and says so by redirecting.
    late = post_draft(http, world, key, text="after the timeout")
    assert late.status_code == 302  # type: ignore[attr-defined]

    again = client_for(world.clinician)
    page = text_of(again.get(detail_url(world, session)))
    assert "Restored your unsaved draft from" in page
    assert DRAFT in page
    assert ProcessNote.objects.filter(session=session).count() == 0
    data = session_form(process_note=DRAFT, version="1", note_version="")
    assert again.post(detail_url(world, session), data).status_code == 302
    assert ProcessNote.objects.get(session=session).text == DRAFT
    assert not NoteDraft.objects.exists()


def test_a_draft_overtaken_by_someone_elses_save_still_comes_back(
    world: World, client_for: ClientFor
) -> None:
    """GIVEN the clinician's draft of session 1's summary, typed against version 1, and
    a colleague's save after it (version 2, newer than the draft)
    WHEN the clinician opens the session again (say after a timeout)
    THEN their text is restored, not silently dropped, and saving it asks them to compare
    (409) instead of overwriting the colleague's summary."""
    http = client_for(world.clinician)
    key = f"session:{world.session_1.public_id}:summary"
    post_draft(http, world, key, base_version=1)
    NoteDraft.objects.filter(key=key).update(updated_at=timezone.now() - timedelta(minutes=10))
    Session.objects.filter(pk=world.session_1.pk).update(
        version=2, summary="Colleague's summary.", updated_at=timezone.now()
    )
    page = text_of(http.get(detail_url(world, world.session_1)))
    assert "Restored your unsaved draft" in page
    assert DRAFT in page
    data = session_form(summary=DRAFT, version="1", date="2026-09-01")
    assert http.post(detail_url(world, world.session_1), data).status_code == 409
