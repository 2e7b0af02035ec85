"""The mood diary: one entry a day, mood 0–10, people only from the client's own inventory."""

from __future__ import annotations

import datetime

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from django.utils import timezone

from openipt.audit.models import AuditEvent
from openipt.courses.models import InventoryPerson, RelationshipKind
from openipt.diary.models import DiaryEntry
from openipt.diary.services import StaleDiaryEntry, diary_entry_save
from tests.portal.helpers import ClientFor
from tests.portal.helpers_queries import queries_for
from tests.world import World

pytestmark = pytest.mark.django_db

URL = reverse("portal:diary")


def today() -> datetime.date:
    return timezone.localdate()


def form(**overrides: object) -> dict[str, object]:
    data: dict[str, object] = {"date": today().isoformat(), "mood": "6", "note": "", "version": "0"}
    data.update(overrides)
    return data


def test_an_entry_is_saved_with_people_from_the_inventory(
    world: World, client_for: ClientFor
) -> None:
    http = client_for(world.client_user_1)
    page = http.get(URL).content.decode()
    assert "Sam" in page  # offered as "who was involved"
    response = http.post(URL, form(note="Walked with Sam.", people=[str(world.person_1.public_id)]))
    assert response.status_code == 302
    entry = DiaryEntry.objects.get(client=world.client_1)
    assert (entry.mood, entry.note, entry.course) == (6, "Walked with Sam.", world.course_1)
    assert list(entry.people.all()) == [world.person_1]
    event = AuditEvent.objects.get(object_type="diary_entry", action="create")
    assert "Walked" not in str(event.changed_fields)
    assert "Walked with Sam." in http.get(URL).content.decode()


@pytest.mark.parametrize("mood", ["-1", "11", "seven", ""])
def test_mood_is_a_whole_number_from_0_to_10(
    world: World, client_for: ClientFor, mood: str
) -> None:
    response = client_for(world.client_user_1).post(URL, form(mood=mood, note="kept text"))
    assert response.status_code == 422
    assert "kept text" in response.content.decode()
    assert not DiaryEntry.objects.exists()


def test_the_service_refuses_a_mood_out_of_range(world: World) -> None:
    with pytest.raises(ValidationError):
        diary_entry_save(actor=world.client_user_1, client=world.client_1, day=today(), mood=11)


def test_people_must_come_from_the_clients_own_inventory(
    world: World, client_for: ClientFor
) -> None:
    """GIVEN Bob's course has a person WHEN Alice names that person THEN it is refused."""
    from openipt.courses.models import Course

    bob_course = Course.objects.create(
        client=world.client_2,
        practice=world.practice_a,
        variant="ipt16",
        planned_sessions=16,
        frequency="weekly",
        session_minutes=50,
        start_date=world.course_1.start_date,
        initial_last=3,
        middle_last=14,
        created_by=world.clinician,
    )
    bobs_friend = InventoryPerson.objects.create(
        course=bob_course, name="Bob's friend", relationship=RelationshipKind.FRIEND
    )
    with pytest.raises(ValidationError):
        diary_entry_save(
            actor=world.client_user_1,
            client=world.client_1,
            day=today(),
            mood=5,
            people_ids=[bobs_friend.public_id],
        )
    response = client_for(world.client_user_1).post(URL, form(people=[str(bobs_friend.public_id)]))
    assert response.status_code == 422
    assert not DiaryEntry.objects.exists()


def test_a_removed_person_cannot_be_named(world: World) -> None:
    world.person_1.removed_at = timezone.now()
    world.person_1.save()
    with pytest.raises(ValidationError):
        diary_entry_save(
            actor=world.client_user_1,
            client=world.client_1,
            day=today(),
            mood=5,
            people_ids=[world.person_1.public_id],
        )


def test_a_second_save_the_same_day_updates_that_days_entry(world: World) -> None:
    """GIVEN today's entry WHEN the client saves again from a form showing it
    THEN the same entry is updated (one per day) and its version moves on."""
    entry, created = diary_entry_save(
        actor=world.client_user_1, client=world.client_1, day=today(), mood=3
    )
    assert created
    again, created = diary_entry_save(
        actor=world.client_user_1,
        client=world.client_1,
        day=today(),
        mood=7,
        base_version=entry.version,
    )
    assert not created and again.pk == entry.pk
    assert (again.mood, again.version) == (7, 2)
    assert DiaryEntry.objects.filter(client=world.client_1).count() == 1


def test_a_save_from_an_old_form_is_refused_and_keeps_the_typed_text(
    world: World, client_for: ClientFor
) -> None:
    """GIVEN the day's entry was saved elsewhere after this form opened
    WHEN the client saves THEN nothing is overwritten, the typed text is kept."""
    diary_entry_save(
        actor=world.client_user_1, client=world.client_1, day=today(), mood=2, note="phone"
    )
    response = client_for(world.client_user_1).post(URL, form(mood="8", note="from the laptop"))
    assert response.status_code == 409
    page = response.content.decode()
    assert "from the laptop" in page
    assert "saved from somewhere else" in page
    assert DiaryEntry.objects.get().note == "phone"
    with pytest.raises(StaleDiaryEntry):
        diary_entry_save(
            actor=world.client_user_1, client=world.client_1, day=today(), mood=8, base_version=0
        )


def test_a_double_submit_stores_once(world: World, client_for: ClientFor) -> None:
    http = client_for(world.client_user_1)
    assert http.post(URL, form(mood="4", note="same")).status_code == 302
    assert http.post(URL, form(mood="4", note="same")).status_code == 302
    entry = DiaryEntry.objects.get()
    assert entry.version == 1
    assert AuditEvent.objects.filter(object_type="diary_entry").count() == 1


def test_no_future_days_and_at_most_thirty_days_back(world: World) -> None:
    for day in (today() + datetime.timedelta(days=1), today() - datetime.timedelta(days=31)):
        with pytest.raises(ValidationError):
            diary_entry_save(actor=world.client_user_1, client=world.client_1, day=day, mood=5)


def test_only_the_client_writes_their_diary(world: World) -> None:
    for someone in (world.clinician, world.client_user_2):
        with pytest.raises(PermissionDenied):
            diary_entry_save(actor=someone, client=world.client_1, day=today(), mood=5)


def test_staff_have_no_portal_diary(world: World, client_for: ClientFor) -> None:
    assert client_for(world.clinician).get(URL).status_code == 404


def test_the_diary_list_has_a_constant_number_of_queries(
    world: World, client_for: ClientFor
) -> None:
    http = client_for(world.client_user_1)
    diary_entry_save(actor=world.client_user_1, client=world.client_1, day=today(), mood=5)
    before = queries_for(http, URL)
    for back in range(1, 8):
        diary_entry_save(
            actor=world.client_user_1,
            client=world.client_1,
            day=today() - datetime.timedelta(days=back),
            mood=back,
            people_ids=[world.person_1.public_id],
        )
    assert queries_for(http, URL) == before


def test_the_clinician_sees_the_diary_chart(world: World, client_for: ClientFor) -> None:
    diary_entry_save(actor=world.client_user_1, client=world.client_1, day=today(), mood=5)
    http = client_for(world.clinician)
    page = http.get(reverse("diary:course", kwargs={"public_id": world.course_1.public_id}))
    assert page.status_code == 200
    chart = http.get(reverse("diary:course_chart", kwargs={"public_id": world.course_1.public_id}))
    assert chart["Content-Type"].startswith("image/svg+xml")
    assert b'id="mood"' in chart.content
    assert b'id="session-1"' in chart.content
    assert AuditEvent.objects.filter(object_type="diary_chart", actor=world.clinician).exists()


def test_the_diary_chart_is_for_the_course_readers_only(
    world: World, client_for: ClientFor
) -> None:
    url = reverse("diary:course_chart", kwargs={"public_id": world.course_1.public_id})
    for user in (world.colleague, world.client_user_1, world.clinician_b, world.admin):
        assert client_for(user).get(url).status_code == 404
    assert client_for(world.supervisor).get(url).status_code == 200


def test_the_session_page_shows_the_diary_card(world: World, client_for: ClientFor) -> None:
    diary_entry_save(actor=world.client_user_1, client=world.client_1, day=today(), mood=7)
    url = reverse(
        "courses:session_detail",
        kwargs={"public_id": world.course_1.public_id, "session_id": world.session_1.public_id},
    )
    page = client_for(world.clinician).get(url).content.decode()
    assert reverse("diary:course_chart", kwargs={"public_id": world.course_1.public_id}) in page
    assert "average mood 7.0 out of 10" in page


def test_the_clinicians_diary_page_has_a_constant_number_of_queries(
    world: World, client_for: ClientFor
) -> None:
    http = client_for(world.clinician)
    url = reverse("diary:course", kwargs={"public_id": world.course_1.public_id})
    diary_entry_save(actor=world.client_user_1, client=world.client_1, day=today(), mood=5)
    before = queries_for(http, url)
    for back in range(1, 6):
        diary_entry_save(
            actor=world.client_user_1,
            client=world.client_1,
            day=today() - datetime.timedelta(days=back),
            mood=back,
            note=f"Day {back}",
            people_ids=[world.person_1.public_id],
        )
    assert queries_for(http, url) == before
    assert "Day 3" in http.get(url).content.decode()
