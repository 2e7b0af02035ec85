"""Client records: scoping, creation, editing, archiving, care teams, lists."""

from __future__ import annotations

import uuid
from collections.abc import Callable

import pytest
from django.db import connection
from django.test import Client as HttpClient
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from openipt.accounts.models import User
from openipt.audit.models import AuditAction, AuditEvent
from openipt.practice.models import CareTeamMember, Client, ClientStatus, Membership, Role
from tests.factories import CareTeamMemberFactory, ClientFactory, MembershipFactory
from tests.world import World

ClientFor = Callable[[User | None], HttpClient]

VALID_CLIENT = {
    "given_name": "Dana",
    "family_name": "Doyle",
    "preferred_name": "Dee",
    "pronouns": "she/her",
    "date_of_birth": "1985-03-14",
    "language": "en",
    "email": "dana@example.test",
    "phone": "+44 7700 900123",
    "address": "1 Quay Street",
    "emergency_contact_name": "Eve Doyle",
    "emergency_contact_relationship": "Sister",
    "emergency_contact_phone": "+44 7700 900456",
    "access_needs": "Prefers afternoon sessions",
}


def _names_on_list(http: HttpClient, **params: str) -> str:
    response = http.get(reverse("clients:list"), params)
    assert response.status_code == 200
    return response.content.decode()


def test_clinician_lists_only_clients_on_their_care_team(
    world: World, client_for: ClientFor
) -> None:
    """GIVEN a clinician on the care teams of Alice and Bob, and a client in another practice
    WHEN they open their client list
    THEN they see Alice and Bob and not the other practice's client."""
    page = _names_on_list(client_for(world.clinician))
    assert "Alice" in page and "Bob" in page
    assert "Charlie" not in page


def test_colleague_not_on_care_team_sees_no_clients(world: World, client_for: ClientFor) -> None:
    page = _names_on_list(client_for(world.colleague))
    assert "Alice" not in page and "Bob" not in page
    assert "No clients yet" in page


def test_supervisor_and_admin_see_every_client_of_their_practice(
    world: World, client_for: ClientFor
) -> None:
    for user in (world.supervisor, world.admin):
        page = _names_on_list(client_for(user))
        assert "Alice" in page and "Bob" in page and "Charlie" not in page


def test_other_practice_record_is_indistinguishable_from_a_missing_one(
    world: World, client_for: ClientFor
) -> None:
    """GIVEN a clinician of practice B
    WHEN they open a practice-A client's record, and then a made-up id
    THEN both answers are the same 404 page."""
    http = client_for(world.clinician_b)
    foreign = http.get(reverse("clients:detail", args=[world.client_1.public_id]))
    missing = http.get(reverse("clients:detail", args=[uuid.uuid4()]))
    assert foreign.status_code == missing.status_code == 404
    assert foreign.content == missing.content
    assert b"Alice" not in foreign.content


def test_creating_a_client_through_the_page(world: World, client_for: ClientFor) -> None:
    http = client_for(world.colleague)
    response = http.post(reverse("clients:create"), VALID_CLIENT)
    assert response.status_code == 302
    client = Client.objects.get(given_name="Dana")
    assert client.practice == world.practice_a
    # The clinician who creates a record joins its care team, so they can see it.
    assert CareTeamMember.objects.filter(client=client, user=world.colleague).exists()
    detail = http.get(response["Location"])
    assert detail.status_code == 200
    assert b"Prefers afternoon sessions" in detail.content
    event = AuditEvent.objects.get(action=AuditAction.CREATE, object_public_id=client.public_id)
    assert event.actor == world.colleague
    assert "access_needs" in event.changed_fields


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("date_of_birth", "not-a-date", "Enter a valid date"),
        ("date_of_birth", "2999-01-01", "cannot be in the future"),
        ("given_name", "", "This field is required"),
        ("language", "xx", "Select a valid choice"),
        ("email", "not-an-email", "Enter a valid email address"),
    ],
)
def test_bad_input_is_refused_with_a_message_and_keeps_what_was_typed(
    world: World, client_for: ClientFor, field: str, value: str, message: str
) -> None:
    data = {**VALID_CLIENT, field: value}
    response = client_for(world.clinician).post(reverse("clients:create"), data)
    assert response.status_code == 400
    body = response.content.decode()
    assert message in body
    # What the clinician typed elsewhere is still in the form.
    assert "Prefers afternoon sessions" in body
    assert not Client.objects.filter(family_name="Doyle").exists()


def test_edit_saves_changes_and_audits_field_names_only(
    world: World, client_for: ClientFor
) -> None:
    http = client_for(world.clinician)
    url = reverse("clients:edit", args=[world.client_1.public_id])
    data = {
        **VALID_CLIENT,
        "given_name": "Alice",
        "family_name": "Anders",
        "access_needs": "Needs step-free access",
        "version": world.client_1.version,
    }
    response = http.post(url, data)
    assert response.status_code == 302
    world.client_1.refresh_from_db()
    assert world.client_1.access_needs == "Needs step-free access"
    assert world.client_1.version == 2
    event = AuditEvent.objects.filter(action=AuditAction.UPDATE).latest("sequence")
    assert "access_needs" in event.changed_fields
    assert "Needs step-free access" not in str(event.changed_fields)


def test_concurrent_edit_is_refused_and_the_loser_keeps_their_text(
    world: World, client_for: ClientFor
) -> None:
    """GIVEN two people who opened the same record at version 1
    WHEN the first saves and then the second saves
    THEN the second save is refused with 409 and their typed text is still in the form."""
    url = reverse("clients:edit", args=[world.client_1.public_id])
    base = {**VALID_CLIENT, "given_name": "Alice", "family_name": "Anders", "version": 1}
    first = client_for(world.clinician).post(url, {**base, "access_needs": "First writer"})
    assert first.status_code == 302
    second = client_for(world.supervisor).post(url, {**base, "access_needs": "Second writer"})
    assert second.status_code == 409
    assert "Someone else saved this record" in second.content.decode()
    assert "Second writer" in second.content.decode()
    world.client_1.refresh_from_db()
    assert world.client_1.access_needs == "First writer"


def test_protected_fields_cannot_be_mass_assigned(world: World, client_for: ClientFor) -> None:
    url = reverse("clients:edit", args=[world.client_1.public_id])
    data = {
        **VALID_CLIENT,
        "given_name": "Alice",
        "family_name": "Anders",
        "version": 1,
        "status": "archived",
        "practice": world.practice_b.pk,
        "user": world.colleague.pk,
    }
    assert client_for(world.clinician).post(url, data).status_code == 302
    world.client_1.refresh_from_db()
    assert world.client_1.status == ClientStatus.ACTIVE
    assert world.client_1.practice == world.practice_a
    assert world.client_1.user == world.client_user_1


def test_archiving_keeps_the_record_and_hides_it_from_the_active_list(
    world: World, client_for: ClientFor
) -> None:
    """GIVEN an active client
    WHEN their clinician archives the record
    THEN it is gone from the active list, still shown with 'include archived',
         still readable, audited, and not deleted."""
    http = client_for(world.clinician)
    response = http.post(reverse("clients:archive", args=[world.client_1.public_id]))
    assert response.status_code == 302
    assert Client.objects.filter(pk=world.client_1.pk, status=ClientStatus.ARCHIVED).exists()
    assert "Alice" not in _names_on_list(http)
    assert "Alice" in _names_on_list(http, archived="on")
    detail = http.get(reverse("clients:detail", args=[world.client_1.public_id]))
    assert b"Archived" in detail.content
    assert AuditEvent.objects.filter(
        action=AuditAction.ARCHIVE, object_public_id=world.client_1.public_id
    ).exists()
    restore = http.post(reverse("clients:restore", args=[world.client_1.public_id]))
    assert restore.status_code == 302
    assert "Alice" in _names_on_list(http)


def test_archive_requires_post(world: World, client_for: ClientFor) -> None:
    response = client_for(world.clinician).get(
        reverse("clients:archive", args=[world.client_1.public_id])
    )
    assert response.status_code == 405


def test_removing_a_clinician_from_the_care_team_blocks_their_next_request(
    world: World, client_for: ClientFor
) -> None:
    """GIVEN a clinician looking at a client's record
    WHEN the supervisor removes them from the care team
    THEN the clinician's very next request for that record is a 404."""
    clinician = client_for(world.clinician)
    url = reverse("clients:detail", args=[world.client_1.public_id])
    assert clinician.get(url).status_code == 200
    member = CareTeamMember.objects.get(client=world.client_1, user=world.clinician)
    response = client_for(world.supervisor).post(
        reverse("clients:care_team_remove", args=[world.client_1.public_id, member.public_id])
    )
    assert response.status_code == 302
    assert clinician.get(url).status_code == 404


def test_adding_a_colleague_to_the_care_team_grants_access(
    world: World, client_for: ClientFor
) -> None:
    colleague = client_for(world.colleague)
    url = reverse("clients:detail", args=[world.client_1.public_id])
    assert colleague.get(url).status_code == 404
    membership = Membership.objects.get(user=world.colleague, practice=world.practice_a)
    response = client_for(world.admin).post(
        reverse("clients:care_team", args=[world.client_1.public_id]),
        {"membership": str(membership.public_id)},
    )
    assert response.status_code == 302
    assert colleague.get(url).status_code == 200


def test_care_team_cannot_include_someone_from_another_practice(
    world: World, client_for: ClientFor
) -> None:
    membership = Membership.objects.get(user=world.clinician_b)
    response = client_for(world.admin).post(
        reverse("clients:care_team", args=[world.client_1.public_id]),
        {"membership": str(membership.public_id)},
    )
    assert response.status_code == 400
    assert "Choose a clinician or supervisor of this practice" in response.content.decode()
    assert not CareTeamMember.objects.filter(client=world.client_1, user=world.clinician_b).exists()


def test_care_team_form_rejects_garbage_without_a_server_error(
    world: World, client_for: ClientFor
) -> None:
    response = client_for(world.admin).post(
        reverse("clients:care_team", args=[world.client_1.public_id]), {"membership": "nope"}
    )
    assert response.status_code == 400


def test_suspending_a_membership_removes_access_on_the_next_request(
    world: World, client_for: ClientFor
) -> None:
    clinician = client_for(world.clinician)
    assert clinician.get(reverse("clients:list")).status_code == 200
    membership = Membership.objects.get(user=world.clinician, practice=world.practice_a)
    response = client_for(world.admin).post(
        reverse("manage:member_toggle", args=[membership.public_id]), {"active": "0"}
    )
    assert response.status_code == 302
    assert clinician.get(reverse("clients:list")).status_code == 403
    assert (
        clinician.get(reverse("clients:detail", args=[world.client_1.public_id])).status_code == 404
    )


def test_admin_cannot_remove_their_own_admin_role(world: World, client_for: ClientFor) -> None:
    membership = Membership.objects.get(user=world.admin, role=Role.PRACTICE_ADMIN)
    http = client_for(world.admin)
    response = http.post(
        reverse("manage:member_toggle", args=[membership.public_id]),
        {"active": "0"},
        follow=True,
    )
    assert "cannot remove your own administrator role" in response.content.decode()
    membership.refresh_from_db()
    assert membership.is_active


def test_search_filters_by_name(world: World, client_for: ClientFor) -> None:
    page = _names_on_list(client_for(world.clinician), q="ali")
    assert "Alice" in page and "Bob" not in page


def test_client_list_query_count_does_not_grow_with_clients(
    world: World, client_for: ClientFor
) -> None:
    """The caseload list must cost the same number of queries for 3 or 25 clients."""
    http = client_for(world.supervisor)

    def count_queries() -> int:
        with CaptureQueriesContext(connection) as ctx:
            assert http.get(reverse("clients:list")).status_code == 200
        return len(ctx.captured_queries)

    before = count_queries()
    for _ in range(22):
        client = ClientFactory.create(practice=world.practice_a)
        CareTeamMemberFactory.create(client=client, user=world.clinician)
        CareTeamMemberFactory.create(client=client, user=world.supervisor, role="supervisor")
    after = count_queries()
    assert after == before


def test_practice_switcher_changes_the_practice_being_worked_in(
    world: World, client_for: ClientFor
) -> None:
    MembershipFactory.create(user=world.supervisor, practice=world.practice_b, role=Role.SUPERVISOR)
    http = client_for(world.supervisor)
    http.post(reverse("switch_practice"), {"practice": str(world.practice_a.public_id)})
    assert "Alice" in _names_on_list(http)
    response = http.post(reverse("switch_practice"), {"practice": str(world.practice_b.public_id)})
    assert response.status_code == 302
    page = _names_on_list(http)
    assert "Charlie" in page and "Alice" not in page


def test_programme_overview_shows_counts_not_people(world: World, client_for: ClientFor) -> None:
    response = client_for(world.programme_manager).get(reverse("programme_overview"))
    body = response.content.decode()
    assert response.status_code == 200
    assert "Riverside Clinic" in body and "Hillside Clinic" in body
    assert "Alice" not in body and "Charlie" not in body


def test_client_portal_home_shows_only_their_own_record(
    world: World, client_for: ClientFor
) -> None:
    response = client_for(world.client_user_1).get(reverse("portal:home"))
    body = response.content.decode()
    assert response.status_code == 200
    assert "Hello, Alice" in body
    assert "Bob" not in body and "Charlie" not in body


def test_viewing_a_record_is_audited(world: World, client_for: ClientFor) -> None:
    client_for(world.supervisor).get(reverse("clients:detail", args=[world.client_1.public_id]))
    assert AuditEvent.objects.filter(
        action=AuditAction.VIEW,
        actor=world.supervisor,
        subject_client_public_id=world.client_1.public_id,
    ).exists()


@pytest.mark.parametrize(
    "role", ["clinician", "supervisor", "admin", "client", "facilitator", "programme_manager"]
)
def test_each_role_lands_on_its_own_home(world: World, client_for: ClientFor, role: str) -> None:
    expected = {
        "clinician": "courses:caseload",
        "supervisor": "courses:caseload",
        "admin": "manage:members",
        "client": "portal:home",
        "facilitator": "facilitator_home",
        "programme_manager": "programme_overview",
    }[role]
    user = world.users_by_role_name()[role]
    response = client_for(user).get(reverse("home"))
    assert response.status_code == 302
    assert response["Location"] == reverse(expected)


def test_client_list_pages_through_a_long_caseload(world: World, client_for: ClientFor) -> None:
    for number in range(30):
        ClientFactory.create(practice=world.practice_a, family_name=f"Zed{number:02d}")
    http = client_for(world.supervisor)
    first = http.get(reverse("clients:list")).content.decode()
    assert "Page 1 of 2" in first
    assert "Zed29" not in first
    second = http.get(reverse("clients:list"), {"page": "2"}).content.decode()
    assert "Zed29" in second
    # A nonsense page number shows a page, never an error.
    assert http.get(reverse("clients:list"), {"page": "abc"}).status_code == 200
