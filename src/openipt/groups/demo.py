"""The demo's group programme: 3 sites, 6 facilitators, 2 supervisors, 20 groups.

"Community Group IPT" runs at three group sites of Demo Health. Each site has
two facilitators; Amara Nwosu supervises three of them and Lars Eriksen the
other three. Twenty groups are at every stage: forming (members placed, not
started), running (sessions 2 to 7 held) and completed (all 8 held). Around
them: a waiting list, people screened below the threshold, two referrals,
a few members who left, one open risk alert from last session's PHQ-9, and
supervisors' ratings and notes.

Everything is written through the services a facilitator's, a supervisor's or
a manager's clicks use, so permissions, scoring, the safety loop and the audit
trail are the real ones. Only dates are adjusted afterwards (see
`_backdate`). A seeded `random.Random` makes every run identical. Only ever
called by `manage.py seed_demo`, which refuses to run outside demo/debug mode. The
invented names, task texts and other tables it draws on are in `demo_text.py`.
"""

from __future__ import annotations

import datetime
import random
from collections.abc import Mapping
from dataclasses import dataclass, field

from django.utils import timezone

from openipt.accounts.models import User
from openipt.groups.demo_text import (
    AFTER_GROUP_TASKS,
    AREAS,
    DEMO_GROUPS,
    DROP_REASONS,
    FAMILY,
    GROUP_SITES,
    HOPES,
    MEN,
    NOT_ADMITTED,
    NOTES,
    PRE_GROUP,
    PROGRAMME,
    RUTH,
    SUPERVISION,
    TASKS,
    WOMEN,
    DemoGroup,
)
from openipt.groups.models import Group, GroupMember, MemberScore, Programme, Screening
from openipt.groups.services.members import (
    group_create,
    group_start,
    member_drop,
    member_place,
    member_pre_group_record,
)
from openipt.groups.services.programmes import programme_create
from openipt.groups.services.screening import screening_record
from openipt.groups.services.session_checks import MemberEntry
from openipt.groups.services.sessions import group_session_record
from openipt.groups.services.supervision import (
    fidelity_rate,
    supervision_assign,
    supervision_note_add,
)
from openipt.measures.demo import answers_for_total
from openipt.measures.engine import shipped
from openipt.practice.models import Organisation, Practice, PracticeKind
from openipt.protocol.group import group_adherence_items_for
from openipt.protocol.phases import Phase, PhasePlan

SEED = 6  # issue 6: any fixed number makes every demo identical
PHQ9 = shipped("phq9")
MAX_WITHOUT_RISK = 24  # eight items of 0–3: a total above this needs item 9


@dataclass
class _Person:
    """One invented person and the story their scores tell."""

    member: GroupMember
    first: int  # PHQ-9 at group session 1
    course: str  # "improving", "flat" or "worsening"
    rate: float
    floor: int
    attends: float
    area: str
    task_open: bool = False
    drop_at: int | None = None

    def total_at(self, number: int, rng: random.Random) -> int:
        steps = number - 1
        if self.course == "improving":
            expected = max(float(self.floor), self.first - self.rate * steps)
        elif self.course == "worsening":
            expected = self.first + 0.8 * steps
        else:
            expected = self.first - 0.2 * steps
        noisy = round(expected) + rng.choice((-1, 0, 0, 1))
        return max(0, min(MAX_WITHOUT_RISK, noisy))


@dataclass
class _Seeder:
    """Writes the programme's people and groups, and remembers the days to backdate."""

    rng: random.Random
    today: datetime.date
    staff: Mapping[str, User]
    sites: Mapping[str, Practice]
    programme: Programme
    programme_site: dict[str, str] = field(default_factory=dict)
    names: set[tuple[str, str]] = field(default_factory=set)
    phones: int = 200
    screened_on: dict[int, datetime.date] = field(default_factory=dict)  # screening pk → day
    placed_on: dict[int, datetime.date] = field(default_factory=dict)  # member pk → day
    left_on: dict[int, datetime.date] = field(default_factory=dict)  # member pk → day

    def site_of(self, facilitator: str) -> Practice:
        return self.sites[self.programme_site[facilitator]]

    def screen(
        self, facilitator: str, total: int, day: datetime.date, exclusion: str = ""
    ) -> Screening:
        rng = self.rng
        woman = rng.random() < 0.62
        while (name := (rng.choice(WOMEN if woman else MEN), rng.choice(FAMILY))) in self.names:
            pass
        self.names.add(name)
        phone = ""
        if rng.random() < 0.75:
            # 07700 900xxx numbers are reserved for fiction.
            phone, self.phones = f"+44 7700 900{self.phones:03d}", self.phones + 1
        screening = screening_record(
            actor=self.staff[facilitator],
            programme=self.programme,
            practice=self.site_of(facilitator),
            given_name=name[0],
            family_name=name[1],
            date_of_birth=datetime.date(self.today.year - rng.randint(19, 68), *_month_day(rng)),
            gender="woman" if woman else "man",
            phone=phone,
            answers=answers_for_total(PHQ9, total),
            exclusions=(exclusion,) if exclusion else (),
            referral_note="Referred to the district mental health team." if exclusion else "",
        )
        self.screened_on[screening.pk] = day
        return screening

    def person(self, facilitator: str, day: datetime.date, pre_group: datetime.date) -> _Person:
        rng = self.rng
        baseline = rng.randint(10, 22)
        member = self.screen(facilitator, baseline, day).member
        area = rng.choice(AREAS)
        symptoms, onset = PRE_GROUP[area]
        member = member_pre_group_record(
            actor=self.staff[facilitator],
            member=member,
            held_at=_at(pre_group, 10),
            symptoms=symptoms,
            onset=onset,
            hopes=rng.choice(HOPES),
            problem_area=area,
            version=member.version,
        )
        course = rng.choices(("improving", "flat", "worsening"), (86, 12, 2))[0]
        return _Person(
            member=member,
            first=baseline - rng.randint(1, 3),
            course=course,
            rate=rng.uniform(1.8, 3.0),
            floor=rng.randint(1, 7),
            attends=rng.choices((0.92, 0.8, 0.6), (50, 35, 15))[0],
            area=area,
        )

    def group(self, spec: DemoGroup) -> Group:
        rng, actor = self.rng, self.staff[spec.facilitator]
        held = spec.held or 0
        last = self.today - datetime.timedelta(days=spec.days_since_last)
        start = last - datetime.timedelta(weeks=held - 1) if held else None
        meet = start or last
        group = group_create(
            actor=actor,
            programme=self.programme,
            practice=self.site_of(spec.facilitator),
            name=spec.name,
        )
        people = []
        for _ in range(spec.size):
            # Before the first meeting; a forming group's members met their facilitator lately.
            pre_group = meet - datetime.timedelta(
                days=rng.randint(2, 6) if start else rng.randint(0, 4)
            )
            screened = pre_group - datetime.timedelta(days=rng.randint(5, 20))
            person = self.person(spec.facilitator, screened, pre_group)
            person.member = member_place(actor=actor, member=person.member, group=group)
            self.placed_on[person.member.pk] = pre_group
            people.append(person)
        if start is None:
            return group
        group = group_start(actor=actor, group=group, started_on=start)
        for person, at in zip(rng.sample(people, len(spec.dropouts)), spec.dropouts, strict=True):
            person.drop_at = at
        if spec.low_attendance:
            for person in people:
                person.attends = 0.45
        for number in range(1, held + 1):
            self.session(spec, group, people, number, start + datetime.timedelta(weeks=number - 1))
        return group

    def session(
        self,
        spec: DemoGroup,
        group: Group,
        people: list[_Person],
        number: int,
        day: datetime.date,
    ) -> None:
        rng = self.rng
        plan = PhasePlan(group.initial_last, group.middle_last, group.planned_sessions)
        phase = plan.phase_of(number)
        alert_here = spec.alert_at_last_session and number == spec.held
        entries = []
        here = [p for p in people if p.drop_at is None or p.drop_at >= number]
        at_risk = here[0] if alert_here else None
        for person in here:
            present = person.drop_at != number and (
                person is at_risk or rng.random() < _attendance(person, number, spec)
            )
            outcome, task, answers = "", "", {}
            if present:
                risk = 1 if person is at_risk else 0
                answers = answers_for_total(
                    PHQ9, max(risk, person.total_at(number, rng)), risk=risk
                )
                if person.task_open:
                    outcome = rng.choices(("done", "partly", "not_done"), (60, 25, 15))[0]
                last = number == group.planned_sessions
                task = rng.choice(AFTER_GROUP_TASKS if last else TASKS[person.area])
                person.task_open = True
            entries.append(
                MemberEntry(
                    member_public_id=person.member.public_id,
                    present=present,
                    answers=answers,
                    task_text=task,
                    previous_task_outcome=outcome,
                )
            )
        codes = [item.code for item in group_adherence_items_for(phase)]
        if number == spec.low_adherence_session:
            codes = codes[:1]
        elif rng.random() < 0.25:
            codes.remove(rng.choice(codes))
        group_session_record(
            actor=self.staff[spec.facilitator],
            group=group,
            number=number,
            held_on=day,
            entries=entries,
            notes=_note(phase, rng),
            adherence_checked=codes,
            self_fidelity=rng.choice((3, 4, 4, 4, 5, 5)),
        )
        for person in here:
            if person.drop_at == number:
                member_drop(
                    actor=self.staff[spec.facilitator],
                    member=person.member,
                    reason=rng.choice(DROP_REASONS),
                )
                self.left_on[person.member.pk] = day + datetime.timedelta(days=2)


def _attendance(person: _Person, number: int, spec: DemoGroup) -> float:
    # Nearly everyone comes to the first meeting, except in the struggling group.
    return person.attends if spec.low_attendance or number > 1 else max(person.attends, 0.9)


def _month_day(rng: random.Random) -> tuple[int, int]:
    return rng.randint(1, 12), rng.randint(1, 28)


def _at(day: datetime.date, hour: int) -> datetime.datetime:
    moment = timezone.make_aware(datetime.datetime.combine(day, datetime.time(hour, 0)))
    return min(moment, timezone.now())


def _note(phase: Phase, rng: random.Random) -> str:
    if phase == Phase.INITIAL:
        return NOTES[0]
    if phase == Phase.TERMINATION:
        return NOTES[4]
    return rng.choice(NOTES[1:4])


def group_sites_create(organisation: Organisation) -> dict[str, Practice]:
    """The three group sites (before the staff, who get roles there)."""
    return {
        name: Practice.objects.create(
            organisation=organisation,
            name=name,
            kind=PracticeKind.GROUP_SITE,
            contact_phone=f"+44 20 7946 03{index}0",
            crisis_line="999 or 112 (emergency services)",
        )
        for index, name in enumerate(GROUP_SITES, start=1)
    }


def seed_demo_groups(
    *,
    organisation: Organisation,
    practices: Mapping[str, Practice],
    staff: Mapping[str, User],
    manager: User,
) -> None:
    """The programme, supervision, screenings, groups and sessions, then the dates."""
    programme = programme_create(
        actor=manager,
        organisation=organisation,
        name=PROGRAMME,
        variant_code="group_who",
        sites=[practices[name] for name in GROUP_SITES],
        min_phq9=10,
        min_group_size=4,
        max_group_size=10,
    )
    today = timezone.localdate()
    # Not for secrets: a fixed seed so that every demo tells the same stories.
    rng = random.Random(SEED)  # noqa: S311
    seeder = _Seeder(rng, today, staff, practices, programme)
    for supervisor, pairs in SUPERVISION.items():
        for facilitator, site in pairs:
            seeder.programme_site[facilitator] = site
            supervision_assign(
                actor=staff[RUTH],
                practice=practices[site],
                supervisor=staff[supervisor],
                facilitator=staff[facilitator],
            )
    completed = {spec.facilitator: seeder.group(spec) for spec in DEMO_GROUPS if spec.held == 8}
    for spec in DEMO_GROUPS:
        if spec.held != 8:
            seeder.group(spec)
    for spec in DEMO_GROUPS:
        for _ in range(spec.waiting):
            day = today - datetime.timedelta(days=rng.randint(1, 30))
            seeder.screen(spec.facilitator, rng.randint(10, 21), day)
    for facilitator, total, exclusion in NOT_ADMITTED:
        day = today - datetime.timedelta(days=rng.randint(1, 25))
        seeder.screen(facilitator, total, day, exclusion)
    _supervise(seeder, completed)
    _backdate(seeder)


def _supervise(seeder: _Seeder, completed: Mapping[str, Group]) -> None:
    """Each supervisor rates three sessions of each facilitator's completed group, with a note."""
    rng = seeder.rng
    for supervisor, pairs in SUPERVISION.items():
        actor = seeder.staff[supervisor]
        for facilitator, site in pairs:
            group = completed[facilitator]
            for session in group.sessions.filter(number__in=(2, 5, 8)).select_related("group"):
                fidelity_rate(
                    actor=actor,
                    session=session,
                    rater="supervisor",
                    score=rng.choice((3, 4, 4, 5)),
                    comment="Kept to the agenda; every member had time on their problem area.",
                )
            supervision_note_add(
                actor=actor,
                facilitator=seeder.staff[facilitator],
                practice=seeder.sites[site],
                text="Talked through how to bring quieter members in. Next: practise "
                "role-plays of difficult conversations.",
                group=group,
            )


def _backdate(seeder: _Seeder) -> None:
    """Move the screening and placement dates into the past (a demo-only adjustment).

    The services stamp screenings, baseline scores, placements and drop-outs
    with the present moment, as they should for real work. A demo whose groups
    started weeks ago needs them on the days the story says, or the pages
    would show every member screened today.
    """
    screenings = list(Screening.objects.filter(pk__in=seeder.screened_on))
    for screening in screenings:
        screening.screened_at = _at(seeder.screened_on[screening.pk], 11)
    Screening.objects.bulk_update(screenings, ["screened_at"])
    baselines = list(
        MemberScore.objects.filter(
            session__isnull=True, member__screening_id__in=seeder.screened_on
        ).select_related("member")
    )
    for score in baselines:
        score.administered_at = _at(seeder.screened_on[score.member.screening_id], 11)
    MemberScore.objects.bulk_update(baselines, ["administered_at"])
    members = list(GroupMember.objects.filter(pk__in=[*seeder.placed_on, *seeder.left_on]))
    for member in members:
        if member.pk in seeder.placed_on:
            member.enrolled_at = _at(seeder.placed_on[member.pk], 12)
        if member.pk in seeder.left_on:
            member.ended_at = _at(seeder.left_on[member.pk], 12)
    GroupMember.objects.bulk_update(members, ["enrolled_at", "ended_at"])
