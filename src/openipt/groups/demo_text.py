"""The group demo's invented data: sites, staff, groups, people's names and their words.

Every name, task and note here is fictional. `demo.py` writes these tables
through the services; `seed_demo` and the tests read them to know what the
demo holds.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import NamedTuple

from openipt.practice.models import Role
from openipt.protocol.group import Exclusion

NORTHSIDE = "Northside Community Centre"
CHURCH_HALL = "Riverside Church Hall"
EASTGATE = "Eastgate Health Post"
GROUP_SITES = (NORTHSIDE, CHURCH_HALL, EASTGATE)
SHORT_NAMES = {NORTHSIDE: "Northside", CHURCH_HALL: "Church Hall", EASTGATE: "Eastgate"}
PROGRAMME = "Community Group IPT"


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
