"""My plan, and agreeing to the contract from the portal."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from openipt.audit.models import AuditEvent
from openipt.courses.models import AgreementChannel, Contract, CourseStatus
from openipt.courses.services.client_portal import contract_agree_by_client
from openipt.courses.services.formulation import contract_propose, contract_record_agreement
from tests.portal.helpers import (
    FORMULATION_V1,
    FORMULATION_V2,
    PROCESS_NOTE_TEXT,
    ClientFor,
    build_plan,
)
from tests.world import World

pytestmark = pytest.mark.django_db


def agree_url(contract: Contract) -> str:
    return reverse("portal:contract_agree", kwargs={"public_id": contract.public_id})


def test_the_plan_shows_the_latest_formulation_goals_and_contract(
    world: World, client_for: ClientFor
) -> None:
    build_plan(world)
    page = client_for(world.client_user_1).get(reverse("portal:plan")).content.decode()
    assert FORMULATION_V2 in page
    assert FORMULATION_V1 not in page
    assert "Talk with Sam about the chores." in page
    assert "Working on the disagreement with Sam" in page
    assert "Every week" in page and "50 minutes" in page
    assert PROCESS_NOTE_TEXT not in page


def test_the_client_agrees_to_the_contract_once(world: World, client_for: ClientFor) -> None:
    """GIVEN a proposed contract WHEN Alice presses "I agree" twice
    THEN it is agreed once, through the portal, by her, and audited once."""
    plan = build_plan(world)
    http = client_for(world.client_user_1)
    page = http.get(reverse("portal:plan")).content.decode()
    assert agree_url(plan.contract) in page
    assert http.post(agree_url(plan.contract)).status_code == 302
    plan.contract.refresh_from_db()
    first_agreed_at = plan.contract.agreed_at
    assert first_agreed_at is not None
    assert plan.contract.agreed_via == AgreementChannel.PORTAL
    assert plan.contract.agreement_recorded_by == world.client_user_1
    assert http.post(agree_url(plan.contract)).status_code == 302
    plan.contract.refresh_from_db()
    assert plan.contract.agreed_at == first_agreed_at
    events = AuditEvent.objects.filter(
        object_type="contract", object_public_id=plan.contract.public_id, actor=world.client_user_1
    )
    assert events.count() == 1
    assert events.get().changed_fields == ["agreed_at", "agreed_via"]
    assert agree_url(plan.contract) not in http.get(reverse("portal:plan")).content.decode()


def test_an_older_contract_version_cannot_be_agreed(world: World) -> None:
    plan = build_plan(world)
    contract_propose(
        actor=world.clinician,
        course=world.course_1,
        sessions=12,
        frequency="weekly",
        session_minutes=50,
    )
    with pytest.raises(ValidationError):
        contract_agree_by_client(actor=world.client_user_1, contract=plan.contract)
    plan.contract.refresh_from_db()
    assert plan.contract.agreed_at is None


def test_only_the_courses_client_may_agree(world: World) -> None:
    plan = build_plan(world)
    for someone in (world.client_user_2, world.clinician, world.client_user_b):
        with pytest.raises(PermissionDenied):
            contract_agree_by_client(actor=someone, contract=plan.contract)


def test_another_client_gets_404_for_the_agreement(world: World, client_for: ClientFor) -> None:
    plan = build_plan(world)
    for user in (world.client_user_2, world.client_user_b):
        assert client_for(user).post(agree_url(plan.contract)).status_code == 404
    plan.contract.refresh_from_db()
    assert plan.contract.agreed_at is None


def test_an_agreed_contract_stays_as_agreed_in_session(world: World) -> None:
    plan = build_plan(world)
    contract_record_agreement(actor=world.clinician, contract=plan.contract)
    agreed = contract_agree_by_client(actor=world.client_user_1, contract=plan.contract)
    assert agreed.agreed_via == AgreementChannel.IN_SESSION


def test_a_closed_course_cannot_be_agreed(world: World, client_for: ClientFor) -> None:
    plan = build_plan(world)
    world.course_1.status = CourseStatus.CLOSED
    world.course_1.save()
    with pytest.raises(ValidationError):
        contract_agree_by_client(actor=world.client_user_1, contract=plan.contract)
    page = client_for(world.client_user_1).get(reverse("portal:plan")).content.decode()
    assert agree_url(plan.contract) not in page


def test_staff_have_no_portal_plan(world: World, client_for: ClientFor) -> None:
    assert client_for(world.clinician).get(reverse("portal:plan")).status_code == 404
