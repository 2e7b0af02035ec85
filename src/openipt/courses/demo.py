"""Demo courses: a living caseload in every phase and several variants.

Everything is written through the same services a clinician's clicks use, so the
demo's audit trail, versions and derived tasks are real. Only ever called by
`manage.py seed_demo`, which refuses to run outside demo/debug mode.
"""

from __future__ import annotations

import datetime
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from django.utils import timezone

from openipt.accounts.models import User
from openipt.courses.models import InventoryPerson
from openipt.courses.services.circle import circle_move_person, circle_version_save
from openipt.courses.services.course import (
    course_advance_phase,
    course_close,
    course_mark_task,
    course_start,
)
from openipt.courses.services.experiments import experiment_assign, experiment_review
from openipt.courses.services.formulation import (
    FocusChoice,
    contract_propose,
    contract_record_agreement,
    focus_set,
    formulation_save,
    goal_add,
)
from openipt.courses.services.inventory import inventory_person_add
from openipt.courses.services.medication import MedicationData, medication_add
from openipt.courses.services.sessions import SessionContent, TechniqueEntry, session_record
from openipt.courses.services.termination import (
    ItemRating,
    termination_review_open,
    termination_review_save,
)
from openipt.courses.services.timeline import life_event_add
from openipt.measures.demo import seed_session_measures
from openipt.practice.models import Client
from openipt.protocol.phases import Phase


@dataclass(frozen=True)
class DemoPerson:
    name: str
    relationship: str
    ring: int
    problem_area: str = ""
    good_things: str = ""
    not_good_things: str = ""


@dataclass(frozen=True)
class DemoCourse:
    client: str
    clinician: str
    variant: str
    planned: int | None
    frequency: str
    minutes: int
    sessions_held: int
    phase: Phase
    people: Sequence[DemoPerson]
    focus: FocusChoice | None
    formulation: str
    goals: Sequence[tuple[str, int]] = ()
    contract_agreed: bool = True
    close: bool = False
    review_started: bool = False
    circle_end_moves: Mapping[str, int] = field(default_factory=dict)
    onset_event: tuple[int, str, str, str] | None = None  # days ago, kind, title, person
    medication: tuple[str, str] | None = None
    delivery_weeks_ago: int | None = None


SESSION_GAP = {"weekly": 7, "fortnightly": 14, "monthly": 30}

DEMO_COURSES: tuple[DemoCourse, ...] = (
    DemoCourse(
        client="Jordan Ellis",
        clinician="Maya Okafor",
        variant="ipt16",
        planned=16,
        frequency="weekly",
        minutes=50,
        sessions_held=7,
        phase=Phase.MIDDLE,
        people=(
            DemoPerson("Sam", "sibling", 1, good_things="Always picks up the phone"),
            DemoPerson(
                "Riley",
                "coworker",
                3,
                "role_transition",
                not_good_things="Critical in team meetings",
            ),
            DemoPerson("Alex", "friend", 2, good_things="Climbing on Saturdays"),
        ),
        focus=FocusChoice(
            area="role_transition",
            old_role="PhD student",
            new_role="first full-time job",
            detail="Started work in March",
        ),
        formulation="Your low mood started soon after you left university for your first "
        "job, when your days, your friends and your sense of being good at something all "
        "changed at once. Over the next weeks we will work on that change.",
        goals=(("Feel settled at work", 3), ("See friends every week", 2)),
        onset_event=(200, "job", "Started first full-time job", "Riley"),
        medication=("Sertraline", "50 mg daily"),
    ),
    DemoCourse(
        client="Lucía Fernández",
        clinician="Maya Okafor",
        variant="ipt_b",
        planned=8,
        frequency="weekly",
        minutes=50,
        sessions_held=1,
        phase=Phase.INITIAL,
        people=(DemoPerson("Diego", "partner", 1), DemoPerson("Carmen", "parent", 2)),
        focus=None,
        formulation="",
        contract_agreed=False,
        delivery_weeks_ago=10,
    ),
    DemoCourse(
        client="Margaret O'Brien",
        clinician="Maya Okafor",
        variant="ipt_older",
        planned=16,
        frequency="weekly",
        minutes=45,
        sessions_held=15,
        phase=Phase.TERMINATION,
        people=(
            DemoPerson("Frank", "deceased", 1, "grief", good_things="Forty-one years married"),
            DemoPerson("Claire", "child", 2, good_things="Visits on Sundays"),
            DemoPerson("Rose", "friend", 3, good_things="Choir together, years ago"),
            DemoPerson("Walking group", "other", 4),
        ),
        focus=FocusChoice(
            area="grief", detail="Frank died in January after a long illness", loss_is_death=True
        ),
        formulation="Since Frank died, you have withdrawn from the people and the singing "
        "that used to keep you going. We will spend our time remembering Frank as he was, "
        "and finding your way back to other people.",
        goals=(("Go back to the choir", 1), ("Talk about Frank with Claire", 2)),
        review_started=True,
        circle_end_moves={"Rose": 2, "Walking group": 3},
        onset_event=(320, "death", "Frank died", "Frank"),
    ),
    DemoCourse(
        client="Mohammed Al-Sayed",
        clinician="Maya Okafor",
        variant="ipt12",
        planned=12,
        frequency="weekly",
        minutes=50,
        sessions_held=3,
        phase=Phase.INITIAL,
        people=(DemoPerson("Layla", "partner", 1, "role_dispute"), DemoPerson("Omar", "child", 1)),
        focus=FocusChoice(
            area="role_dispute", dispute_stage="impasse", detail="Money and Layla's family"
        ),
        formulation="The arguments with Layla about money have stopped, but so has talking; "
        "your mood dropped as the silence set in. We will look at what each of you expects.",
        goals=(("Talk with Layla about money without shouting", 2),),
        contract_agreed=False,
    ),
    DemoCourse(
        client="Wei Zhang",
        clinician="Maya Okafor",
        variant="ipc",
        planned=6,
        frequency="weekly",
        minutes=30,
        sessions_held=6,
        phase=Phase.TERMINATION,
        people=(DemoPerson("Mei", "parent", 2), DemoPerson("Night-shift team", "coworker", 3)),
        focus=FocusChoice(area="interpersonal_deficits", detail="Few friends since moving"),
        formulation="Working nights after moving here has left you with few people to talk "
        "to. We will work on building a couple of connections.",
        goals=(("One social plan a week", 1),),
        close=True,
    ),
    DemoCourse(
        client="Tomasz Kowalski",
        clinician="Tom Reyes",
        variant="ipt_m",
        planned=None,
        frequency="monthly",
        minutes=50,
        sessions_held=4,
        phase=Phase.MIDDLE,
        people=(DemoPerson("Anna", "partner", 1), DemoPerson("Piotr", "sibling", 2)),
        focus=FocusChoice(area="role_transition", old_role="foreman", new_role="retired"),
        formulation="Keeping well after retiring: noticing early signs and staying in touch.",
    ),
    DemoCourse(
        client="Aisha Bello",
        clinician="Tom Reyes",
        variant="ipt16",
        planned=16,
        frequency="weekly",
        minutes=50,
        sessions_held=13,
        phase=Phase.MIDDLE,
        people=(DemoPerson("Tunde", "parent", 2, "role_dispute"), DemoPerson("Zara", "friend", 1)),
        focus=FocusChoice(
            area="role_dispute",
            dispute_stage="renegotiation",
            detail="Her father's plans for her career",
        ),
        formulation="Your mood fell as the disagreement with your father about your studies "
        "grew. We will look at what each of you expects and how you talk about it.",
        goals=(("Tell Dad what I want to study", 2),),
    ),
)


def seed_demo_courses(*, staff: Mapping[str, User], clients: Mapping[str, Client]) -> None:
    today = timezone.localdate()
    for spec in DEMO_COURSES:
        _seed_course(spec, staff[spec.clinician], clients[spec.client], today)


def _seed_course(spec: DemoCourse, actor: User, client: Client, today: datetime.date) -> None:
    gap = SESSION_GAP[spec.frequency]
    held = spec.sessions_held
    # The last session was a few days ago; the course started when session 1 was held.
    dates = [today - datetime.timedelta(days=3 + gap * (held - n)) for n in range(1, held + 1)]
    delivery = (
        today - datetime.timedelta(weeks=spec.delivery_weeks_ago)
        if spec.delivery_weeks_ago
        else None
    )
    course = course_start(
        actor=actor,
        client=client,
        variant_code=spec.variant,
        planned_sessions=spec.planned,
        frequency=spec.frequency,
        session_minutes=spec.minutes,
        start_date=dates[0] if dates else today,
        delivery_date=delivery,
    )
    people: dict[str, InventoryPerson] = {}
    for person in spec.people:
        people[person.name] = inventory_person_add(
            actor=actor,
            course=course,
            data={
                "name": person.name,
                "relationship": person.relationship,
                "ring": person.ring,
                "problem_area": person.problem_area,
                "good_things": person.good_things,
                "not_good_things": person.not_good_things,
            },
        )
    if spec.onset_event:
        days, kind, title, who = spec.onset_event
        life_event_add(
            actor=actor,
            course=course,
            data={
                "date": today - datetime.timedelta(days=days),
                "kind": kind,
                "title": title,
                "people": [str(people[who].public_id)] if who in people else [],
                "linked_to_onset": True,
            },
        )
    if spec.medication:
        agent, dose = spec.medication
        medication_add(
            actor=actor,
            course=course,
            data=MedicationData(
                agent=agent,
                dose=dose,
                prescriber="GP",
                start_date=today - datetime.timedelta(days=90),
            ),
        )
    # The baseline questionnaire is recorded with session 1 below, which marks
    # the baseline task done by itself.
    for task in ("diagnosis_given", "sick_role_given"):
        course_mark_task(actor=actor, course=course, task=task)
    if len(people) >= 2:
        course_mark_task(actor=actor, course=course, task="inventory")
        circle_version_save(actor=actor, course=course, label="Start of course")
    if spec.formulation:
        formulation_save(actor=actor, course=course, text=spec.formulation)
    if spec.focus is not None:
        focus = spec.focus
        if focus.area == "grief":
            focus = FocusChoice(
                area="grief",
                detail=focus.detail,
                loss_is_death=True,
                grief_person=people.get("Frank"),
            )
        if focus.area == "role_dispute":
            other = next((p for p in people.values() if p.problem_area == "role_dispute"), None)
            focus = FocusChoice(
                area="role_dispute",
                detail=focus.detail,
                dispute_stage=focus.dispute_stage,
                dispute_person=other,
            )
        focus_set(actor=actor, course=course, choices=[focus])
        for text, rating in spec.goals:
            goal_add(actor=actor, course=course, text=text, rating_at_start=rating)
        contract = contract_propose(
            actor=actor,
            course=course,
            sessions=spec.planned,
            frequency=spec.frequency,
            session_minutes=spec.minutes,
        )
        if spec.contract_agreed:
            contract_record_agreement(actor=actor, contract=contract)
    for number, day in enumerate(dates, start=1):
        course.refresh_from_db()
        if (
            course.phase == Phase.INITIAL
            and number > course.initial_last
            and spec.phase != Phase.INITIAL
        ):
            course = course_advance_phase(actor=actor, course=course)
        if (
            course.phase == Phase.MIDDLE
            and course.planned_sessions
            and number > course.middle_last
            and spec.phase == Phase.TERMINATION
        ):
            course = course_advance_phase(actor=actor, course=course)
        session = session_record(
            actor=actor,
            course=course,
            number=number,
            content=SessionContent(
                date=day,
                interval_history=_interval_text(number),
                techniques=_techniques(number),
            ),
        )
        seed_session_measures(
            actor=actor, course=course, session=session, client_name=spec.client, day=day
        )
        if number > 1 and number % 2 == 0 and course.phase == Phase.MIDDLE:
            experiment = experiment_assign(
                actor=actor,
                session=session,
                description="Have the conversation we rehearsed, at a calm moment.",
            )
            if number < held:
                experiment_review(
                    actor=actor,
                    experiment=experiment,
                    status="reviewed",
                    review_note="Went better than expected.",
                )
    if spec.circle_end_moves:
        for name, ring in spec.circle_end_moves.items():
            circle_move_person(actor=actor, course=course, person=people[name], ring=ring)
        circle_version_save(actor=actor, course=course, label="End of course")
    course.refresh_from_db()
    if spec.phase == Phase.TERMINATION and course.phase == Phase.MIDDLE:
        course = course_advance_phase(actor=actor, course=course)
    if spec.review_started or spec.close:
        course_mark_task(actor=actor, course=course, task="ending_raised")
        review = termination_review_open(actor=actor, course=course)
        ratings = {
            item.pk: ItemRating(rating_at_start=item.rating_at_start or 2, rating_now=7)
            for item in review.items.all()
        }
        termination_review_save(
            actor=actor,
            review=review,
            expected_version=review.version,
            texts={
                "warning_signs": "Staying in bed past ten; not answering the phone.",
                "coping_plan": "Call a friend the same day; book a check-in.",
                "feelings_about_ending": "Sad to stop, and proud of the work.",
            },
            outcome_category="responder" if spec.close else "",
            next_step="end" if spec.close else "",
            ratings=ratings,
            complete=spec.close,
        )
    if spec.close:
        course_close(actor=actor, course=course)


def _interval_text(number: int) -> str:
    return (
        "First meeting: the story of the low mood, and what brought them now."
        if number == 1
        else "A mixed week: two good days after speaking up, then a flat weekend."
    )


def _techniques(number: int) -> list[TechniqueEntry]:
    if number < 4:
        return [TechniqueEntry(code="exploratory_questions", details={})]
    return [
        TechniqueEntry(
            code="communication_analysis",
            details={
                "what_said": "You never ask how my day was.",
                "what_meant": "I miss us talking.",
                "what_heard": "You're being selfish.",
                "what_felt": "Hurt, then angry.",
                "alternatives": "Say: I miss our evening chats. Can we have one tonight?",
            },
        )
    ]
