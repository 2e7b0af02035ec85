"""Demo portal content: mood diaries and experiment reports, written as the clients would.

Everything goes through the same services the portal uses (`diary_entry_save`,
`experiment_report`), signed in as the demo client, so the demo shows what a
real client's portal and their clinician's pages look like after a few weeks.
"""

from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import TYPE_CHECKING

from django.utils import timezone

from openipt.courses.models import Course, Experiment, ExperimentStatus, InventoryPerson
from openipt.courses.services.client_portal import experiment_report
from openipt.courses.services.experiments import experiment_assign
from openipt.diary.selectors import active_course_for_client
from openipt.diary.services import diary_entry_save
from openipt.practice.models import CareTeamMember, CareTeamRole
from openipt.protocol.phases import Phase

if TYPE_CHECKING:
    from openipt.practice.models import Client

DIARY_DAYS = 24
# A believable few weeks: ups and downs around a slow improvement.
MOOD_SHAPE = (3, 3, 4, 2, 3, 4, 4, 3, 5, 4, 4, 5, 3, 4, 5, 6, 5, 5, 6, 4, 5, 6, 6, 7)
NOTES = {
    3: "Hard morning. Stayed in most of the day.",
    8: "Rang my sister, we talked for an hour.",
    12: "Argument about money again; went for a walk after.",
    15: "Lunch with a colleague. Felt more like myself.",
    19: "Tired, but I did what I planned.",
    22: "Good talk at dinner.",
}
REPORT = (
    "We sat down on Sunday after lunch, when things were quiet.",
    "I said I felt left out of the decisions, and asked to plan the week together.",
    "Nervous at first, then relieved. It went better than I expected.",
)


def seed_demo_portal(*, clients: Mapping[str, Client]) -> None:
    """For each demo client with a portal account and a running course."""
    today = timezone.localdate()
    reported = False
    for client in clients.values():
        if client.user is None:
            continue
        course = active_course_for_client(client=client)
        if course is None:
            continue
        people = list(
            InventoryPerson.objects.filter(course=course, removed_at__isnull=True).order_by(
                "ring", "position"
            )[:3]
        )
        for index, mood in enumerate(MOOD_SHAPE[-DIARY_DAYS:]):
            # Not every day: people miss a few.
            if index % 5 == 4:
                continue
            day = today - datetime.timedelta(days=DIARY_DAYS - 1 - index)
            if day < course.start_date:
                continue
            named = [people[index % len(people)].public_id] if people and index % 3 else []
            diary_entry_save(
                actor=client.user,
                client=client,
                day=day,
                mood=mood,
                note=NOTES.get(index, ""),
                people_ids=named,
            )
        _seed_experiment(client, course, people, report=not reported)
        reported = True


def _seed_experiment(
    client: Client, course: Course, people: list[InventoryPerson], *, report: bool
) -> None:
    """One experiment to try from the last session (agreed by the clinician), and for
    the first client its report, so the portal shows both states."""
    if course.phase != Phase.MIDDLE or client.user is None:
        return
    latest = (
        Experiment.objects.filter(course=course, status=ExperimentStatus.ASSIGNED)
        .order_by("-assigned_in__number")
        .first()
    )
    if latest is None:
        session = course.sessions.order_by("-number").first()
        member = CareTeamMember.objects.filter(client=client, role=CareTeamRole.CLINICIAN).first()
        if session is None or member is None:
            return
        latest = experiment_assign(
            actor=member.user,
            session=session,
            description=(
                "Ask for ten quiet minutes this weekend and say one thing you would like "
                "to change about how the week is planned."
            ),
            person=people[0] if people else None,
        )
    if report:
        what_happened, what_was_said, how_it_felt = REPORT
        experiment_report(
            actor=client.user,
            experiment=latest,
            outcome=ExperimentStatus.DONE,
            what_happened=what_happened,
            what_was_said=what_was_said,
            how_it_felt=how_it_felt,
        )
