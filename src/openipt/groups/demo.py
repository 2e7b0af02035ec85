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
called by `manage.py seed_demo`, which refuses to run outside demo/debug mode.
"""

from __future__ import annotations

import datetime
import random
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import NamedTuple

from django.utils import timezone

from openipt.accounts.models import User
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
from openipt.groups.services.sessions import MemberEntry, group_session_record
from openipt.groups.services.supervision import (
    fidelity_rate,
    supervision_assign,
    supervision_note_add,
)
from openipt.measures.demo import answers_for_total
from openipt.measures.engine import shipped
from openipt.practice.models import Organisation, Practice, PracticeKind, Role
from openipt.protocol.group import Exclusion, group_adherence_items_for
from openipt.protocol.phases import Phase, PhasePlan

NORTHSIDE = "Northside Community Centre"
CHURCH_HALL = "Riverside Church Hall"
EASTGATE = "Eastgate Health Post"
GROUP_SITES = (NORTHSIDE, CHURCH_HALL, EASTGATE)
SHORT_NAMES = {NORTHSIDE: "Northside", CHURCH_HALL: "Church Hall", EASTGATE: "Eastgate"}
PROGRAMME = "Community Group IPT"
SEED = 6  # issue 6: any fixed number makes every demo identical


class GroupDemoStaff(NamedTuple):
    """Fields of seed_demo's DemoStaff, so the command creates them like its other staff."""

    full_name: str
    roles: tuple[tuple[str | None, Role], ...]
    home: str
    summary: str


def _facilitator(name: str, site: str) -> GroupDemoStaff:
    return GroupDemoStaff(
        name, ((site, Role.FACILITATOR),), "/groups/", f"Group facilitator, {site}"
    )


def _supervisor(name: str, *sites: str) -> GroupDemoStaff:
    roles = tuple((site, Role.SUPERVISOR) for site in sites)
    where = " + ".join(SHORT_NAMES[site] for site in sites)
    return GroupDemoStaff(
        name, roles, "/groups/supervision/", f"Group supervisor, {where} (switcher)"
    )


AMARA, LARS, RUTH = "Amara Nwosu", "Lars Eriksen", "Ruth Adeyemi"
# Supervisor → the facilitators they supervise, with each facilitator's site.
SUPERVISION: Mapping[str, tuple[tuple[str, str], ...]] = {
    AMARA: (
        ("Grace Mensah", NORTHSIDE),
        ("Joseph Kamau", NORTHSIDE),
        ("Rosa Delgado", CHURCH_HALL),
    ),
    LARS: (("Arjun Mehta", CHURCH_HALL), ("Leila Haddad", EASTGATE), ("Ibrahim Sow", EASTGATE)),
}
GROUP_DEMO_STAFF: tuple[GroupDemoStaff, ...] = (
    *(_facilitator(name, site) for pairs in SUPERVISION.values() for name, site in pairs),
    _supervisor(AMARA, NORTHSIDE, CHURCH_HALL),
    _supervisor(LARS, CHURCH_HALL, EASTGATE),
    GroupDemoStaff(
        RUTH,
        tuple((site, Role.PRACTICE_ADMIN) for site in GROUP_SITES),
        "/manage/members/",
        "Site admin, the three group sites",
    ),
)


@dataclass(frozen=True)
class DemoGroup:
    facilitator: str
    name: str
    held: int | None  # sessions held; None while the group is forming
    size: int
    days_since_last: int  # since the last session (forming: since the pre-group sessions)
    waiting: int = 0  # people this facilitator screened who wait for a group
    low_attendance: bool = False
    alert_at_last_session: bool = False
    low_adherence_session: int | None = None
    dropouts: tuple[int, ...] = ()  # a member stops coming at each of these sessions


DEMO_GROUPS: tuple[DemoGroup, ...] = (
    DemoGroup("Grace Mensah", "Market Day Group", 8, 9, 40, waiting=3, dropouts=(3,)),
    DemoGroup("Grace Mensah", "Monday Morning Group", 5, 8, 2),
    DemoGroup("Grace Mensah", "Thursday Evening Group", 3, 7, 4),
    DemoGroup("Grace Mensah", "Saturday Group", None, 6, 3),
    DemoGroup("Joseph Kamau", "Wednesday Lunchtime Group", 8, 10, 19, waiting=2),
    DemoGroup("Joseph Kamau", "Tuesday Afternoon Group", 6, 8, 1, dropouts=(4,)),
    DemoGroup("Joseph Kamau", "Friday Morning Group", 2, 7, 5),
    DemoGroup("Rosa Delgado", "Spring Group", 8, 8, 61, waiting=3),
    DemoGroup("Rosa Delgado", "Wednesday Evening Group", 7, 9, 6),
    DemoGroup("Rosa Delgado", "Monday Evening Group", 4, 8, 1, alert_at_last_session=True),
    DemoGroup("Rosa Delgado", "Thursday Morning Group", None, 7, 2),
    DemoGroup("Arjun Mehta", "Sunday Afternoon Group", 8, 9, 26, waiting=2, dropouts=(2,)),
    DemoGroup("Arjun Mehta", "Tuesday Evening Group", 5, 8, 3, low_attendance=True),
    DemoGroup("Arjun Mehta", "Friday Afternoon Group", None, 8, 5),
    DemoGroup("Leila Haddad", "Harvest Group", 8, 10, 12, waiting=3),
    DemoGroup("Leila Haddad", "Monday Afternoon Group", 3, 6, 2),
    DemoGroup("Leila Haddad", "Wednesday Morning Group", 6, 9, 4, low_adherence_session=5),
    DemoGroup("Ibrahim Sow", "Thursday Afternoon Group", 8, 8, 33, waiting=2, dropouts=(3,)),
    DemoGroup("Ibrahim Sow", "Saturday Morning Group", 4, 7, 6, dropouts=(2,)),
    DemoGroup("Ibrahim Sow", "Tuesday Morning Group", None, 6, 1),
)
# People screened but not placed on the waiting list: (facilitator, PHQ-9 total, exclusion).
NOT_ADMITTED: tuple[tuple[str, int, str], ...] = (
    ("Grace Mensah", 7, ""),
    ("Arjun Mehta", 5, ""),
    ("Leila Haddad", 8, ""),
    ("Ibrahim Sow", 9, ""),
    ("Joseph Kamau", 16, Exclusion.PSYCHOSIS),
    ("Rosa Delgado", 14, Exclusion.SUBSTANCE),
)


def _words(text: str) -> tuple[str, ...]:
    return tuple(text.split())


WOMEN = _words(
    "Abena Adwoa Aigerim Akosua Alejandra Amina Ana Anjali Aroha Beatriz Chiamaka Chipo Dilnoza "
    "Elif Esperanza Fatima Hana Ifeoma Ingrid Ioana Kamala Keisha Laila Lerato Lina Mai Mariam "
    "Marisol Mei Nadia Nkechi Nomvula Noor Olga Priya Rania Rukhsana Saanvi Sadia Sakura Sina "
    "Siobhan Tamar Thandiwe Valentina Yetunde Wanjiru Yasmin Zainab Zanele"
)
MEN = _words(
    "Adebayo Ahmed Aleksander Bilal Bongani Carlos Chidi Dawit Emeka Farid Hamza Hiroshi Ivan "
    "Jomo Kwame Liam Mateo Mihai Musa Nikhil Omar Pavel Rahul Santiago Sipho Tariq Tendai Thabo "
    "Tomasz Yusuf"
)
FAMILY = _words(
    "Abebe Achieng Afolabi Ahmadi Ali Alves Amoah Asante Bakr Banda Chowdhury Costa Cruz "
    "Dlamini Dube Eze Farah Garcia Gómez Gupta Hassan Hussein Ibrahim Iyer Jallow Juma Kapoor "
    "Karimi Kaya Khan Kiplagat Koroma Kovač Lungu Mahlangu Mendoza Moyo Murphy Mwangi Nakamura "
    "Ndlovu Nguyen Novak Nyambura Obi Ochieng Okeke Omondi Osei Otieno Park Patel Petrov Phiri "
    "Popescu Quispe Rahman Reyes Rossi Said Santos Sithole Tembo Torres Uddin Wanjiku Yilmaz Zulu"
)

AREAS = ("grief", "role_dispute", "role_transition", "interpersonal_deficits")
TASKS: Mapping[str, tuple[str, ...]] = {
    "grief": (
        "Tell a friend one memory of the person I lost.",
        "Visit the grave with my cousin on Sunday.",
        "Look at old photos with my sister.",
        "Cook the dish my mother used to make and share it.",
    ),
    "role_dispute": (
        "Tell my husband calmly how the rent worry makes me feel.",
        "Ask my brother to talk about the land without shouting.",
        "Say one kind thing to my daughter-in-law.",
        "Agree with my partner who pays for school fees.",
    ),
    "role_transition": (
        "Go to the new traders' meeting at the market.",
        "Ask a neighbour how she manages since retiring.",
        "Spend one hour learning the new job with a colleague.",
        "Walk to the clinic with another new mother.",
    ),
    "interpersonal_deficits": (
        "Greet two neighbours on the way to the well.",
        "Sit with someone new at the prayer meeting.",
        "Call my old school friend on Saturday.",
        "Join the savings group meeting and say one thing.",
    ),
}
AFTER_GROUP_TASKS = (
    "Keep meeting two group members for tea every week.",
    "Keep calling my sister when I feel low.",
    "Keep going to the savings group.",
    "Keep walking to market with my neighbour.",
)
# Pre-group session by problem area: (how they have been feeling, when and what happened).
PRE_GROUP: Mapping[str, tuple[str, str]] = {
    "grief": ("Sleeping badly, no interest in cooking or friends.", "Since the funeral last year."),
    "role_dispute": (
        "Tired all day, crying often, stays in the house.",
        "Since the quarrels at home began.",
    ),
    "role_transition": (
        "Little energy, no appetite, worries at night.",
        "Since losing the job at the factory.",
    ),
    "interpersonal_deficits": (
        "Feels alone and empty, stopped going to church.",
        "Since moving to town in the spring.",
    ),
}
HOPES = ("To feel like myself again.", "To sleep and to laugh again.", "To get on at home.")
NOTES = (
    "Good energy today; members shared openly and agreed the group rules.",
    "Members linked their low mood with what happened at home this week.",
    "Two members practised what to say in a difficult conversation.",
    "Quiet start; the group warmed up after the symptom review.",
    "We talked about the end of the group and what helped most.",
)
DROP_REASONS = (
    "Moved to another town for work.",
    "Cannot get time off on the group day any more.",
    "Caring for a sick parent at home.",
)
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
