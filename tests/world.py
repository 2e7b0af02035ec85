"""The shared fixture world (healthchecks' Alice/Bob/Charlie, generalised).

Two practices of one organisation. In A: a clinician, a colleague clinician
who is on no care team, a supervisor, a facilitator, a practice admin and two
clients; in B: a clinician and a client. Plus an organisation-level programme
manager and a staff member who has not set up MFA. Every staff member except
that one has an active TOTP authenticator.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from allauth.mfa.totp.internal.auth import TOTP, format_hotp_value, hotp_value

from openipt.accounts.models import User
from openipt.courses.models import Course, InventoryPerson, RelationshipKind, Session
from openipt.practice.models import Client, Membership, Organisation, Practice, Role
from tests.factories import (
    CareTeamMemberFactory,
    ClientFactory,
    MembershipFactory,
    OrganisationFactory,
    PracticeFactory,
    UserFactory,
)

# Base32, fixed so that tests (and the browser test) can compute codes.
TOTP_SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"


def current_totp_code(secret: str = TOTP_SECRET, *, offset: int = 0) -> str:
    import time

    counter = int(time.time()) // 30 + offset
    return str(format_hotp_value(hotp_value(secret, counter)))


@dataclass
class World:
    organisation: Organisation
    practice_a: Practice
    practice_b: Practice
    clinician: User
    colleague: User
    supervisor: User
    facilitator: User
    admin: User
    client_user_1: User
    client_user_2: User
    clinician_b: User
    client_user_b: User
    programme_manager: User
    staff_without_mfa: User
    client_1: Client
    client_2: Client
    client_b: Client
    # Alice's standard 16-session course, run by the clinician: one session held
    # and one person in her inventory.
    course_1: Course
    person_1: InventoryPerson
    session_1: Session

    def users_by_role_name(self) -> dict[str, User]:
        return {
            "clinician": self.clinician,
            "colleague": self.colleague,
            "supervisor": self.supervisor,
            "facilitator": self.facilitator,
            "admin": self.admin,
            "client": self.client_user_1,
            "clinician_b": self.clinician_b,
            "client_b": self.client_user_b,
            "programme_manager": self.programme_manager,
        }


def _staff(practice: Practice, role: Role, name: str, *, mfa: bool = True) -> User:
    membership: Membership = MembershipFactory.create(
        practice=practice,
        role=role,
        user__full_name=name,
        user__email=f"{name.lower().replace(' ', '.')}@example.test",
    )
    if mfa:
        TOTP.activate(membership.user, TOTP_SECRET)
    return membership.user


def _client(practice: Practice, given: str, family: str) -> tuple[Client, User]:
    membership: Membership = MembershipFactory.create(
        practice=practice,
        role=Role.CLIENT,
        user__full_name=f"{given} {family}",
        user__email=f"{given.lower()}.{family.lower()}@example.test",
    )
    client: Client = ClientFactory.create(
        practice=practice,
        given_name=given,
        family_name=family,
        user=membership.user,
        email=membership.user.email,
    )
    return client, membership.user


def build_world() -> World:
    organisation = OrganisationFactory.create(name="Riverside Health")
    practice_a = PracticeFactory.create(organisation=organisation, name="Riverside Clinic")
    practice_b = PracticeFactory.create(organisation=organisation, name="Hillside Clinic")
    clinician = _staff(practice_a, Role.CLINICIAN, "Clara Clinician")
    colleague = _staff(practice_a, Role.CLINICIAN, "Colin Colleague")
    supervisor = _staff(practice_a, Role.SUPERVISOR, "Sam Supervisor")
    facilitator = _staff(practice_a, Role.FACILITATOR, "Fay Facilitator")
    admin = _staff(practice_a, Role.PRACTICE_ADMIN, "Ada Admin")
    clinician_b = _staff(practice_b, Role.CLINICIAN, "Bea Otherclinic")
    staff_without_mfa = _staff(practice_a, Role.CLINICIAN, "Nora Nomfa", mfa=False)
    programme_manager = UserFactory.create(
        full_name="Pat Programme", email="pat.programme@example.test"
    )
    Membership.objects.create(
        user=programme_manager, organisation=organisation, role=Role.PROGRAMME_MANAGER
    )
    TOTP.activate(programme_manager, TOTP_SECRET)

    client_1, client_user_1 = _client(practice_a, "Alice", "Anders")
    client_2, client_user_2 = _client(practice_a, "Bob", "Brown")
    client_b, client_user_b = _client(practice_b, "Charlie", "Chen")
    CareTeamMemberFactory.create(client=client_1, user=clinician, role="clinician")
    CareTeamMemberFactory.create(client=client_1, user=supervisor, role="supervisor")
    CareTeamMemberFactory.create(client=client_2, user=clinician, role="clinician")
    CareTeamMemberFactory.create(client=client_b, user=clinician_b, role="clinician")
    course_1 = Course.objects.create(
        client=client_1,
        practice=practice_a,
        variant="ipt16",
        planned_sessions=16,
        frequency="weekly",
        session_minutes=50,
        start_date=datetime.date(2026, 9, 1),
        initial_last=3,
        middle_last=14,
        created_by=clinician,
    )
    person_1 = InventoryPerson.objects.create(
        course=course_1, name="Sam", relationship=RelationshipKind.PARTNER, ring=1
    )
    session_1 = Session.objects.create(
        course=course_1,
        number=1,
        date=datetime.date(2026, 9, 1),
        phase="initial",
        interval_history="First meeting.",
        recorded_by=clinician,
    )
    return World(
        organisation=organisation,
        practice_a=practice_a,
        practice_b=practice_b,
        clinician=clinician,
        colleague=colleague,
        supervisor=supervisor,
        facilitator=facilitator,
        admin=admin,
        client_user_1=client_user_1,
        client_user_2=client_user_2,
        clinician_b=clinician_b,
        client_user_b=client_user_b,
        programme_manager=programme_manager,
        staff_without_mfa=staff_without_mfa,
        client_1=client_1,
        client_2=client_2,
        client_b=client_b,
        course_1=course_1,
        person_1=person_1,
        session_1=session_1,
    )
