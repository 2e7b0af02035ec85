"""Patient/$everything: every resource of one client that the actor may see, as a Bundle.

Scope comes from the same selectors as the pages: the client through
`client_get_for_actor` (the caller's 404), courses through `courses_visible_to`,
questionnaires through `administrations_for_course`, alerts through
`alerts_visible_to`, groups through `groups_visible_to`, group sessions through
`sessions_visible_to` and a group member's attendance and PHQ-9 scores through
`members_visible_to` (the member page's rule: the member's facilitators and their
supervisors). Practitioners are added for every person a resource refers to, so
every reference resolves in the bundle.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Iterator
from typing import TYPE_CHECKING, Any

from django.db import transaction
from django.utils import timezone

from openipt.accounts.models import User
from openipt.audit.models import AuditAction
from openipt.audit.services import record
from openipt.courses.models import Session
from openipt.courses.selectors.access import courses_visible_to
from openipt.fhir import sources
from openipt.fhir.mappers.common import Json
from openipt.fhir.mappers.staff import practitioner
from openipt.groups.models import Attendance, GroupSessionStatus
from openipt.groups.selectors.access import (
    groups_visible_to,
    members_visible_to,
    sessions_visible_to,
)
from openipt.measures.selectors import administrations_for_course
from openipt.practice.models import Membership
from openipt.safety.selectors import alerts_visible_to

if TYPE_CHECKING:
    from openipt.practice.models import Client, Practice


def references(value: Any) -> Iterator[str]:
    """Every `reference` string anywhere inside a resource."""
    if isinstance(value, dict):
        for key, item in value.items():
            if key == "reference" and isinstance(item, str):
                yield item
            else:
                yield from references(item)
    elif isinstance(value, list):
        for item in value:
            yield from references(item)


def patient_resources(*, actor: User, client: Client) -> list[Json]:
    practice = client.practice
    resources: list[Json] = [
        *sources.organization_resources(practice),
        *sources.client_resources(type(client).objects.filter(pk=client.pk)),
    ]
    courses = courses_visible_to(actor=actor).filter(client=client)
    resources += sources.course_resources(courses)
    resources += sources.session_resources(Session.objects.filter(course__in=courses))
    instruments = sources.InstrumentCache(practice)
    for course in courses.order_by("id"):
        administrations = administrations_for_course(actor=actor, course=course)
        resources += sources.measure_resources(administrations, instruments)
    resources += sources.flag_resources(alerts_visible_to(actor=actor).filter(client=client))
    groups = groups_visible_to(actor=actor).filter(members__client=client).distinct()
    resources += sources.group_resources(groups, only_client=client)
    resources += _group_scores(actor=actor, client=client, instruments=instruments)
    resources += sources.questionnaire_resources(instruments.used())
    resources += _practitioners_referenced(resources, practice=practice)
    return resources


def _group_scores(
    *, actor: User, client: Client, instruments: sources.InstrumentCache
) -> list[Json]:
    """The client's group sessions and PHQ-9 scores, for those who may read their member
    record. A group session's own Encounter (subject the Group) only where the group is
    in the bundle too; the member's Encounter for it names it in `partOf` only then."""
    members = members_visible_to(actor=actor).filter(client=client)
    group_ids = set(
        groups_visible_to(actor=actor).filter(members__in=members).values_list("pk", flat=True)
    )
    attended = Attendance.objects.filter(
        member__in=members, present=True, session__status=GroupSessionStatus.HELD
    ).values("session_id")
    sessions = sessions_visible_to(actor=actor).filter(group_id__in=group_ids, pk__in=attended)
    return [
        *sources.group_session_resources(sessions),
        *sources.member_score_resources(members, instruments, linked_groups=group_ids),
    ]


def _practitioners_referenced(resources: Iterable[Json], *, practice: Practice) -> list[Json]:
    wanted = {
        reference.split("/", 1)[1]
        for resource in resources
        for reference in references(resource)
        if reference.startswith("Practitioner/")
    }
    if not wanted:
        return []
    memberships = Membership.objects.filter(practice=practice, user__public_id__in=wanted)
    found = list(sources.staff_resources(memberships, practice.public_id))
    # Someone who has left the practice (no membership) still gets a Practitioner.
    have = {r["id"] for r in found if r["resourceType"] == "Practitioner"}
    for user in User.objects.filter(public_id__in=wanted - have).order_by("id"):
        found.append(practitioner(user_id=user.public_id, full_name=user.full_name))
    return found


def everything_bundle(*, actor: User, client: Client, base_url: str, self_url: str) -> Json:
    """The searchset Bundle for Patient/$everything, audited as an export."""
    with transaction.atomic():
        resources = patient_resources(actor=actor, client=client)
        record(
            actor=actor,
            action=AuditAction.EXPORT,
            object_type="fhir_patient_everything",
            object_public_id=client.public_id,
            practice=client.practice,
            subject_client_public_id=client.public_id,
            changed_fields=sorted({r["resourceType"] for r in resources}),
        )
    return {
        "resourceType": "Bundle",
        "id": str(uuid.uuid4()),
        "meta": {"lastUpdated": timezone.now().isoformat()},
        "type": "searchset",
        "total": 1,
        "link": [{"relation": "self", "url": self_url}],
        "entry": [
            {
                "fullUrl": f"{base_url}{r['resourceType']}/{r['id']}",
                "resource": r,
                "search": {"mode": "match" if r["resourceType"] == "Patient" else "include"},
            }
            for r in resources
        ],
    }
