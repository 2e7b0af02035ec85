"""The optional joint session with a parent or caregiver (adolescent groups).

GIVEN a programme that offers the caregiver session WHEN the member's
facilitator records it THEN who came and the notes are kept encrypted, the
change is audited by field name, and the member's page shows it to the
facilitator and their supervisor (never to the member's portal). A programme
without the session refuses it; a stale edit is refused with the text kept; a
supervisor reads but cannot write; everyone else gets a 404.
"""

from __future__ import annotations

import datetime
import uuid
from collections.abc import Callable

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.test import Client as HttpClient
from django.urls import reverse
from django.utils import timezone

from openipt.accounts.models import User
from openipt.audit.models import AuditEvent
from openipt.core.crypto import CIPHERTEXT_PREFIX
from openipt.groups.models import (
    GroupMember,
    MemberStatus,
    Programme,
    Screening,
    ScreeningOutcome,
)
from openipt.groups.services.members import (
    StaleMemberEdit,
    member_caregiver_session_record,
    member_drop,
)
from tests.groups.world import GroupWorld

pytestmark = pytest.mark.django_db

ClientFor = Callable[[User | None], HttpClient]
WHO = "grandmother"
NOTES = "She worries the boy is lazy; we talked about depression as an illness."


def _offer(gw: GroupWorld, offered: bool = True) -> None:
    Programme.objects.filter(pk=gw.programme.pk).update(caregiver_session=offered)
    gw.programme.refresh_from_db()


def _fresh(member: GroupMember) -> GroupMember:
    return GroupMember.objects.select_related("programme", "group", "client").get(pk=member.pk)


def _record(gw: GroupWorld, member: GroupMember, **overrides: object) -> GroupMember:
    member = _fresh(member)
    fields: dict[str, object] = {
        "actor": gw.facilitator,
        "member": member,
        "held_at": timezone.now() - datetime.timedelta(hours=2),
        "who_came": WHO,
        "notes": NOTES,
        "version": member.version,
    }
    fields.update(overrides)
    return member_caregiver_session_record(**fields)  # type: ignore[arg-type]


def _raw(member: GroupMember, column: str) -> str:
    assert column in ("caregiver_session_who", "caregiver_session_notes")
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {column} FROM groups_groupmember WHERE id = %s", [member.pk])  # noqa: S608
        value: str = cursor.fetchone()[0]
    return value


def _url(member: GroupMember) -> str:
    return reverse("groups:member_caregiver_session", args=[member.public_id])


def _post_data(**overrides: str) -> dict[str, str]:
    data = {"held_at": "2026-01-12T16:00", "who_came": WHO, "notes": NOTES, "version": "1"}
    data.update(overrides)
    return data


# --------------------------------------------------------------------------- the service


def test_the_session_is_recorded_encrypted_and_audited(group_world: GroupWorld) -> None:
    gw = group_world
    _offer(gw)
    before = AuditEvent.objects.count()
    member = _record(gw, gw.waiting)
    member = _fresh(member)
    assert member.caregiver_session_who == WHO
    assert member.caregiver_session_notes == NOTES
    assert member.caregiver_session_at is not None
    assert member.version == 2
    # At rest: ciphertext only, for both texts.
    for column, plain in (("caregiver_session_who", WHO), ("caregiver_session_notes", NOTES)):
        stored = _raw(member, column)
        assert stored.startswith(CIPHERTEXT_PREFIX)
        assert plain not in stored and "grandmother" not in stored
    event = AuditEvent.objects.filter(object_type="group_member").latest("id")
    assert AuditEvent.objects.count() == before + 1
    assert event.action == "update"
    assert event.object_public_id == member.public_id
    assert event.subject_client_public_id == member.client.public_id
    assert set(event.changed_fields) == {
        "caregiver_session_at",
        "caregiver_session_who",
        "caregiver_session_notes",
    }
    assert "grandmother" not in str(event.changed_fields) and "lazy" not in str(
        event.changed_fields
    )


def test_an_enrolled_member_can_have_it_too(group_world: GroupWorld) -> None:
    gw = group_world
    _offer(gw)
    member = _record(gw, gw.members[0], who_came="father", notes="")
    assert _fresh(member).caregiver_session_who == "father"
    assert _fresh(member).caregiver_session_notes == ""


def test_a_correction_audits_only_what_changed_and_an_unchanged_save_nothing(
    group_world: GroupWorld,
) -> None:
    gw = group_world
    _offer(gw)
    held = timezone.now() - datetime.timedelta(hours=3)
    _record(gw, gw.waiting, held_at=held)
    _record(gw, gw.waiting, held_at=held, notes="Corrected notes.", version=2)
    member = _fresh(gw.waiting)
    assert member.caregiver_session_notes == "Corrected notes." and member.version == 3
    event = AuditEvent.objects.filter(object_type="group_member").latest("id")
    assert event.changed_fields == ["caregiver_session_notes"]
    count = AuditEvent.objects.count()
    _record(gw, gw.waiting, held_at=held, notes="Corrected notes.", version=3)
    assert _fresh(gw.waiting).version == 3
    assert AuditEvent.objects.count() == count


def test_a_programme_without_the_session_refuses_it(group_world: GroupWorld) -> None:
    """GIVEN the programme does not offer the caregiver session WHEN the facilitator
    records one THEN a clear ValidationError says so and nothing is saved or audited."""
    gw = group_world
    assert not gw.programme.caregiver_session
    before = AuditEvent.objects.count()
    with pytest.raises(ValidationError) as caught:
        _record(gw, gw.waiting)
    assert not isinstance(caught.value, StaleMemberEdit)
    assert "does not offer a joint session with a parent or caregiver" in caught.value.messages[0]
    member = _fresh(gw.waiting)
    assert member.caregiver_session_at is None and member.caregiver_session_notes == ""
    assert member.version == 1
    assert AuditEvent.objects.count() == before


def test_a_stale_edit_is_refused_and_saves_nothing(group_world: GroupWorld) -> None:
    """GIVEN two edits started from version 1 WHEN the second is saved after the first
    THEN it is refused (StaleMemberEdit) and the first one's text stays."""
    gw = group_world
    _offer(gw)
    _record(gw, gw.waiting, version=1)
    with pytest.raises(StaleMemberEdit):
        _record(gw, gw.waiting, version=1, notes="Overwritten?")
    assert _fresh(gw.waiting).caregiver_session_notes == NOTES
    assert _fresh(gw.waiting).version == 2


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("who_came", ""),
        ("who_came", "   "),
        ("who_came", "x" * 81),
        ("notes", "x" * 4001),
        ("held_at", timezone.now() + datetime.timedelta(days=2)),
    ],
)
def test_bad_values_are_refused_per_field(
    group_world: GroupWorld, field: str, value: object
) -> None:
    gw = group_world
    _offer(gw)
    with pytest.raises(ValidationError) as caught:
        _record(gw, gw.waiting, **{field: value})
    assert list(caught.value.message_dict) == [field]
    assert _fresh(gw.waiting).caregiver_session_at is None


def test_only_the_members_facilitator_writes(group_world: GroupWorld) -> None:
    gw = group_world
    _offer(gw)
    for actor in (gw.supervisor, gw.facilitator_2, gw.supervisor_2, gw.world.clinician):
        with pytest.raises(PermissionDenied):
            _record(gw, gw.waiting, actor=actor)
    # Finn writes for his own member, not Fay's.
    _record(gw, gw.member_2, actor=gw.facilitator_2)
    assert _fresh(gw.member_2).caregiver_session_who == WHO
    assert _fresh(gw.waiting).caregiver_session_at is None


def test_a_member_who_left_gets_nothing_added(group_world: GroupWorld) -> None:
    gw = group_world
    _offer(gw)
    member_drop(actor=gw.facilitator, member=_fresh(gw.waiting), reason="Moved away.")
    with pytest.raises(ValidationError) as caught:
        _record(gw, gw.waiting)
    assert "left or finished" in caught.value.messages[0]
    assert _fresh(gw.waiting).caregiver_session_at is None


# --------------------------------------------------------------------------- the page


def test_the_page_saves_and_the_member_page_shows_it(
    group_world: GroupWorld, client_for: ClientFor
) -> None:
    gw = group_world
    _offer(gw)
    http = client_for(gw.facilitator)
    url = _url(gw.waiting)
    assert url == f"/groups/members/{gw.waiting.public_id}/caregiver-session/"
    page = http.get(url)
    assert page.status_code == 200
    assert 'name="who_came"' in page.content.decode()
    viewed = AuditEvent.objects.filter(object_type="group_member_caregiver_session").latest("id")
    assert viewed.action == "view"
    assert viewed.subject_client_public_id == gw.waiting.client.public_id
    response = http.post(url, _post_data())
    assert response.status_code == 302
    assert response["Location"] == reverse("groups:member_detail", args=[gw.waiting.public_id])
    member = _fresh(gw.waiting)
    assert member.caregiver_session_who == WHO and member.version == 2
    detail = reverse("groups:member_detail", args=[gw.waiting.public_id])
    for reader in (gw.facilitator, gw.supervisor):
        body = client_for(reader).get(detail).content.decode()
        assert "Session with a parent or caregiver" in body
        assert WHO in body and "depression as an illness" in body
        assert "12 Jan 2026" in body
    fay = http.get(detail).content.decode()
    assert "Edit the caregiver session" in fay and "Next:</strong> meet" not in fay
    sam = client_for(gw.supervisor).get(detail).content.decode()
    assert url not in sam
    # The edit form opens with what was saved.
    again = http.get(url).content.decode()
    assert 'value="grandmother"' in again and 'value="2026-01-12T16:00"' in again


def test_a_stale_save_is_409_with_the_text_kept(
    group_world: GroupWorld, client_for: ClientFor
) -> None:
    gw = group_world
    _offer(gw)
    http = client_for(gw.facilitator)
    url = _url(gw.waiting)
    assert http.post(url, _post_data()).status_code == 302
    stale = http.post(url, _post_data(notes="My newer words", who_came="aunt"))
    assert stale.status_code == 409
    page = stale.content.decode()
    assert "My newer words" in page and 'value="aunt"' in page
    assert "Someone else saved" in page
    assert 'name="version" value="2"' in page
    assert _fresh(gw.waiting).caregiver_session_notes == NOTES
    # A deliberate second save with the newest version goes through.
    assert http.post(url, _post_data(notes="My newer words", version="2")).status_code == 302
    assert _fresh(gw.waiting).caregiver_session_notes == "My newer words"


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"who_came": ""}, "who_came", "Say who came with the member"),
        ({"who_came": "x" * 81}, "who_came", "at most 80 characters"),
        ({"held_at": "yesterday-ish"}, "held_at", "Write the date and time"),
        ({"held_at": "2999-01-01T10:00"}, "held_at", "cannot be in the future"),
        ({"notes": "x" * 4001}, "notes", "at most 4000 characters"),
        ({"version": "zero"}, "version", "whole number"),
    ],
)
def test_bad_input_is_422_with_the_text_kept(
    group_world: GroupWorld,
    client_for: ClientFor,
    changes: dict[str, str],
    field: str,
    message: str,
) -> None:
    gw = group_world
    _offer(gw)
    kept = "Kept words of the facilitator"
    data = _post_data(notes=kept) if field != "notes" else _post_data()
    response = client_for(gw.facilitator).post(_url(gw.waiting), {**data, **changes})
    assert response.status_code == 422
    body = response.content.decode()
    assert message in body
    if field != "notes":
        assert kept in body
    assert _fresh(gw.waiting).caregiver_session_at is None
    assert _fresh(gw.waiting).version == 1


def test_a_programme_without_the_session_has_no_page_link_and_refuses_a_save(
    group_world: GroupWorld, client_for: ClientFor
) -> None:
    gw = group_world
    http = client_for(gw.facilitator)
    url = _url(gw.waiting)
    detail = http.get(reverse("groups:member_detail", args=[gw.waiting.public_id]))
    body = detail.content.decode()
    assert url not in body and "Session with a parent or caregiver" not in body
    page = http.get(url)
    assert page.status_code == 200
    assert "does not offer a joint session" in page.content.decode()
    assert 'name="who_came"' not in page.content.decode()
    refused = http.post(url, _post_data(notes="Typed before the setting changed"))
    assert refused.status_code == 422
    text = refused.content.decode()
    assert "does not offer a joint session" in text
    assert "Typed before the setting changed" in text
    assert _fresh(gw.waiting).caregiver_session_at is None


def test_a_session_recorded_before_the_setting_was_switched_off_still_shows(
    group_world: GroupWorld, client_for: ClientFor
) -> None:
    gw = group_world
    _offer(gw)
    _record(gw, gw.waiting)
    _offer(gw, offered=False)
    body = (
        client_for(gw.supervisor)
        .get(reverse("groups:member_detail", args=[gw.waiting.public_id]))
        .content.decode()
    )
    assert WHO in body and "depression as an illness" in body


def test_the_supervisor_reads_but_gets_403_on_the_form_and_the_save(
    group_world: GroupWorld, client_for: ClientFor
) -> None:
    gw = group_world
    _offer(gw)
    sam = client_for(gw.supervisor)
    url = _url(gw.waiting)
    assert sam.get(url).status_code == 403
    assert sam.post(url, _post_data()).status_code == 403
    assert _fresh(gw.waiting).caregiver_session_at is None
    detail = sam.get(reverse("groups:member_detail", args=[gw.waiting.public_id]))
    assert detail.status_code == 200
    body = detail.content.decode()
    assert "Session with a parent or caregiver" in body and "Not recorded yet." in body
    assert "Record the caregiver session" not in body and url not in body


def test_outsiders_get_404_and_change_nothing(
    group_world: GroupWorld, client_for: ClientFor
) -> None:
    gw = group_world
    _offer(gw)
    url = _url(gw.waiting)
    outsiders = (
        gw.facilitator_2,
        gw.supervisor_2,
        gw.world.clinician,
        gw.world.admin,
        gw.world.programme_manager,
        gw.world.clinician_b,
        gw.world.client_user_1,
    )
    for outsider in outsiders:
        http = client_for(outsider)
        assert http.get(url).status_code == 404, outsider
        assert http.post(url, _post_data()).status_code == 404, outsider
    # A made-up id answers exactly the same.
    missing = reverse("groups:member_caregiver_session", args=[uuid.uuid4()])
    assert client_for(gw.facilitator).get(missing).status_code == 404
    assert _fresh(gw.waiting).caregiver_session_at is None


def test_the_next_step_is_shown_to_the_facilitator_until_it_is_recorded(
    group_world: GroupWorld, client_for: ClientFor
) -> None:
    gw = group_world
    http = client_for(gw.facilitator)
    detail = reverse("groups:member_detail", args=[gw.waiting.public_id])
    home = reverse("facilitator_home")
    assert "Next:</strong> meet" not in http.get(detail).content.decode()
    assert "Caregiver session to do" not in http.get(home).content.decode()
    _offer(gw)
    body = http.get(detail).content.decode()
    assert "Next:</strong> meet Wendy Phiri together with a parent or caregiver" in body
    assert "Record the caregiver session" in body and _url(gw.waiting) in body
    assert "Caregiver session to do" in http.get(home).content.decode()
    assert "Next:</strong> meet" not in (client_for(gw.supervisor).get(detail).content.decode())
    _record(gw, gw.waiting)
    assert "Next:</strong> meet" not in http.get(detail).content.decode()
    assert "Caregiver session to do" not in http.get(home).content.decode()


def test_the_screening_next_steps_mention_the_session_when_offered(
    group_world: GroupWorld, client_for: ClientFor
) -> None:
    gw = group_world
    http = client_for(gw.facilitator)
    url = reverse("groups:screening_detail", args=[gw.waiting.screening.public_id])
    assert "joint session with a parent or caregiver" not in http.get(url).content.decode()
    _offer(gw)
    assert "joint session with a parent or caregiver" in http.get(url).content.decode()


def test_the_portal_never_shows_the_caregiver_session(
    group_world: GroupWorld, client_for: ClientFor
) -> None:
    """GIVEN Alice (a portal user) is a member with a recorded caregiver session
    WHEN she opens her portal THEN she sees her group, not who came or the notes."""
    gw = group_world
    _offer(gw)
    alice = gw.world.client_1
    screening = Screening.objects.create(
        programme=gw.programme,
        practice=gw.world.practice_a,
        client=alice,
        screened_by=gw.facilitator,
        screened_at=timezone.now(),
        phq9_answers={},
        phq9_total=12,
        phq9_band="moderate",
        outcome=ScreeningOutcome.ELIGIBLE,
    )
    member = GroupMember.objects.create(
        programme=gw.programme,
        practice=gw.world.practice_a,
        client=alice,
        screening=screening,
        facilitator=gw.facilitator,
        group=gw.group,
        status=MemberStatus.ENROLLED,
    )
    _record(gw, member)
    http = client_for(gw.world.client_user_1)
    home = http.get(reverse("portal:home"))
    assert home.status_code == 200
    body = home.content.decode()
    assert "Tuesday group" in body  # the card is there, so the test looks in the right place
    for url in (reverse("portal:home"), reverse("portal:data"), reverse("portal:data_json")):
        text = http.get(url).content.decode()
        assert WHO not in text and "depression as an illness" not in text, url
