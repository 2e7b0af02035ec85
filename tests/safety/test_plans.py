"""Safety plans: versioned, never overwritten; care team writes, supervisor and client read."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.test import Client as HttpClient
from django.urls import reverse

from openipt.accounts.models import User
from openipt.audit.models import AuditEvent
from openipt.safety.models import SafetyPlanVersion
from openipt.safety.services import PlanSections, StalePlanEdit, safety_plan_save
from tests.world import World

ClientFor = Callable[[User | None], HttpClient]


def _save(world: World, base: int, **sections: str) -> SafetyPlanVersion:
    return safety_plan_save(
        actor=world.clinician,
        client=world.client_1,
        sections=PlanSections(**sections),
        base_version=base,
        reviewed_with_client=False,
    )


def test_each_save_is_a_new_version_and_old_versions_stay_as_they_were(world: World) -> None:
    """GIVEN a plan at version 1 WHEN the clinician saves an edit THEN version 2 holds the
    new text and version 1 still holds the old; the audit names the changed sections only."""
    first = _save(world, 0, warning_signs="Not sleeping", professionals="Call the practice")
    second = _save(world, 1, warning_signs="Not sleeping; skipping meals")
    first.refresh_from_db()
    assert (first.number, second.number) == (1, 2)
    assert first.warning_signs == "Not sleeping"
    assert second.warning_signs == "Not sleeping; skipping meals"
    assert second.professionals == ""
    audit = AuditEvent.objects.get(object_public_id=second.public_id)
    assert set(audit.changed_fields) == {"warning_signs", "professionals"}
    assert audit.subject_client_public_id == world.client_1.public_id


def test_an_edit_begun_from_an_older_version_is_refused(world: World) -> None:
    """GIVEN two people opened version 1 WHEN the second saves after the first THEN the
    second save is refused (stale), nothing is written, and the newer version is returned."""
    _save(world, 0, warning_signs="A")
    _save(world, 1, warning_signs="B")
    with pytest.raises(StalePlanEdit) as stale:
        _save(world, 1, warning_signs="C")
    assert stale.value.latest is not None and stale.value.latest.number == 2
    assert SafetyPlanVersion.objects.count() == 2


def test_saving_the_same_text_again_writes_no_version_unless_reviewed(world: World) -> None:
    _save(world, 0, warning_signs="A")
    assert _save(world, 1, warning_signs="A").number == 1
    reviewed = safety_plan_save(
        actor=world.clinician,
        client=world.client_1,
        sections=PlanSections(warning_signs="A"),
        base_version=1,
        reviewed_with_client=True,
    )
    assert reviewed.number == 2 and reviewed.reviewed_with_client


def test_an_empty_plan_is_refused(world: World) -> None:
    with pytest.raises(ValidationError, match="at least one section"):
        _save(world, 0, warning_signs="   ")


@pytest.mark.parametrize("who", ["supervisor", "colleague", "admin", "clinician_b"])
def test_only_care_team_clinicians_write_the_plan(world: World, who: str) -> None:
    with pytest.raises(PermissionDenied):
        safety_plan_save(
            actor=getattr(world, who),
            client=world.client_1,
            sections=PlanSections(warning_signs="A"),
            base_version=0,
            reviewed_with_client=False,
        )


def test_the_plan_sections_are_encrypted_at_rest(world: World) -> None:
    version = _save(world, 0, safe_environment="Canary-5512 keep away")
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT safe_environment FROM safety_safetyplanversion WHERE id = %s", [version.pk]
        )
        assert "Canary-5512" not in cursor.fetchone()[0]


# --- pages --------------------------------------------------------------------------------


def test_clinician_writes_the_plan_through_the_page(world: World, client_for: ClientFor) -> None:
    http = client_for(world.clinician)
    url = reverse("safety:plan_edit", kwargs={"client_id": world.client_1.public_id})
    page = http.get(url)
    assert page.status_code == 200
    assert 'name="base_version"' in page.content.decode()
    response = http.post(
        url,
        {
            "base_version": "0",
            "warning_signs": "Staying in bed all day",
            "reviewed_with_client": "on",
        },
    )
    assert response.status_code == 302
    version = SafetyPlanVersion.objects.get()
    assert version.reviewed_with_client and version.edited_by == world.clinician
    view = http.get(reverse("safety:plan", kwargs={"client_id": world.client_1.public_id}))
    assert "Staying in bed all day" in view.content.decode()


def test_a_stale_edit_keeps_the_typed_text_and_shows_the_newer_version(
    world: World, client_for: ClientFor
) -> None:
    _save(world, 0, warning_signs="Version one")
    _save(world, 1, warning_signs="Saved by someone else")
    http = client_for(world.clinician)
    url = reverse("safety:plan_edit", kwargs={"client_id": world.client_1.public_id})
    response = http.post(url, {"base_version": "1", "warning_signs": "My careful edit"})
    body = response.content.decode()
    assert response.status_code == 409
    assert "saved a newer version" in body
    assert "My careful edit" in body
    assert "Saved by someone else" in body
    assert 'name="base_version" value="2"' in body
    assert SafetyPlanVersion.objects.count() == 2


def test_the_supervisor_reads_but_cannot_edit(world: World, client_for: ClientFor) -> None:
    _save(world, 0, people_to_ask="My sister")
    http = client_for(world.supervisor)
    args = {"client_id": world.client_1.public_id}
    assert "My sister" in http.get(reverse("safety:plan", kwargs=args)).content.decode()
    assert http.get(reverse("safety:plan_edit", kwargs=args)).status_code == 403
    refused = http.post(reverse("safety:plan_edit", kwargs=args), {"base_version": "1"})
    assert refused.status_code == 403


def test_the_client_reads_their_own_plan_and_nobody_elses(
    world: World, client_for: ClientFor
) -> None:
    _save(world, 0, distraction="The library", professionals="Practice 555 0100")
    own = client_for(world.client_user_1).get(reverse("safety:my_plan")).content.decode()
    assert "The library" in own and "Practice 555 0100" in own
    other = client_for(world.client_user_2).get(reverse("safety:my_plan")).content.decode()
    assert "The library" not in other
    assert "not written a safety plan yet" in other
    assert AuditEvent.objects.filter(
        object_type="own_safety_plan", actor=world.client_user_1
    ).exists()


def test_plan_pages_of_a_client_are_404_for_outsiders(world: World, client_for: ClientFor) -> None:
    args = {"client_id": world.client_1.public_id}
    for who in (world.colleague, world.admin, world.clinician_b, world.client_user_1):
        http = client_for(who)
        assert http.get(reverse("safety:plan", kwargs=args)).status_code == 404
        assert http.post(reverse("safety:plan_edit", kwargs=args), {}).status_code == 404
