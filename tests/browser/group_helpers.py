"""Group IPT in a real browser: a programme to start from, and filling its pages.

Shared by the group browser tests. Every radio is ticked with `check()` on a
stable selector taken from the templates (the screening form uses the
measures app's item names, `phq9-<n>`; the session form names each field by
the member's public id, `m-<id>-phq9-<n>`), so a renamed field fails loudly.
"""

from __future__ import annotations

import datetime
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, cast
from uuid import UUID

from playwright.sync_api import Page, expect

from openipt.groups.models import Programme
from openipt.groups.services.programmes import programme_create
from openipt.groups.services.supervision import supervision_assign
from openipt.practice.models import PracticeKind
from tests.world import World

PHQ9_ITEMS = 9
ITEM_MAX = 3
SESSION_PAGE = re.compile(r"/groups/sessions/[0-9a-f-]{36}/$")
OVERFLOW_JS = "() => document.documentElement.scrollWidth - document.documentElement.clientWidth"


def group_site_programme(world: World) -> Programme:
    """A programme at practice A (made a group site), with Sam supervising Fay there.

    Nothing else: no group, no member, no screening.
    """
    practice = world.practice_a
    practice.kind = PracticeKind.GROUP_SITE
    practice.save(update_fields=["kind"])
    programme = programme_create(
        actor=world.programme_manager,
        organisation=world.organisation,
        name="Riverside Group IPT",
        variant_code="group_who",
        sites=[practice],
    )
    supervision_assign(
        actor=world.admin,
        practice=practice,
        supervisor=world.supervisor,
        facilitator=world.facilitator,
    )
    return programme


def no_sideways_scroll(page: Page) -> None:
    assert page.evaluate(OVERFLOW_JS) <= 0, f"{page.url} scrolls sideways on a phone"


def same_session_on(page: Page, other: Page, url: str) -> None:
    """Open `url` on `other` signed in as `page`'s user (one TOTP code per sign-in window)."""
    other.context.add_cookies(cast(Any, page.context.cookies()))
    other.goto(url)


def answers_for(total: int, *, item_9: int = 0) -> tuple[int, ...]:
    """Nine PHQ-9 item values (0–3) adding up to `total`, with item 9 as given.

    The rest of the total is spread as evenly as possible over items 1–8.
    """
    rest = total - item_9
    if not 0 <= item_9 <= ITEM_MAX or not 0 <= rest <= ITEM_MAX * (PHQ9_ITEMS - 1):
        raise ValueError(f"No PHQ-9 answers add up to {total} with item 9 = {item_9}.")
    base, extra = divmod(rest, PHQ9_ITEMS - 1)
    return (*(base + 1 if i < extra else base for i in range(PHQ9_ITEMS - 1)), item_9)


@dataclass(frozen=True)
class Person:
    """Someone the facilitator screens, and how their PHQ-9 goes over the group."""

    given: str
    family: str
    date_of_birth: datetime.date
    gender: str  # a groups.models.Gender value
    screening_total: int
    end_total: int  # at the last session
    problem_area: str = ""  # recorded at the pre-group session when given

    @property
    def name(self) -> str:
        return f"{self.given} {self.family}"

    def total_at(self, number: int, planned: int) -> int:
        """A steady fall from the screening total to the end total over the sessions."""
        return round(
            self.screening_total + (self.end_total - self.screening_total) * number / planned
        )


def screen_person(page: Page, person: Person) -> None:
    """Fill the screening form (on the page already) for an eligible person; does not save."""
    page.locator("#id_given_name").fill(person.given)
    page.locator("#id_family_name").fill(person.family)
    page.locator("#id_date_of_birth").fill(person.date_of_birth.isoformat())
    page.locator("#id_gender").select_option(person.gender)
    for number, value in enumerate(answers_for(person.screening_total), start=1):
        page.locator(f'input[name="phq9-{number}"]').nth(value).check()


def record_pre_group(page: Page, person: Person) -> None:
    """Fill and save the pre-group session form (on the page already)."""
    page.locator("#id_symptoms").fill("Low and tired most days; stopped seeing friends.")
    page.locator("#id_onset").fill("Since moving to the city for work last year.")
    page.locator("#id_problem_area").select_option(person.problem_area)
    page.locator("#id_hopes").fill("To feel close to people again.")
    page.get_by_role("button", name="Save the pre-group session").click()
    expect(page.get_by_text("The pre-group session is saved.")).to_be_visible()


@dataclass(frozen=True)
class MemberEntry:
    """What the facilitator enters for one member in one session."""

    public_id: UUID
    present: bool
    answers: tuple[int, ...] = ()
    task: str = ""
    review: str = ""  # done / partly / not_done: last time's task, when the form asks
    problem_area: str = ""  # only for a member whose area is not chosen yet


@dataclass(frozen=True)
class SessionEntries:
    members: Sequence[MemberEntry]
    notes: str = ""
    adherence_ticked: int | None = None  # the first N checklist items; None: all of them
    self_rating: int = 4


def fill_session(page: Page, entries: SessionEntries) -> None:
    """Fill the open "Record session N" form; does not save."""
    for entry in entries.members:
        prefix = f"m-{entry.public_id}"
        if not entry.present:
            page.locator(f'input[name="{prefix}-present"]').uncheck()
            continue
        for number, value in enumerate(entry.answers, start=1):
            page.locator(f'input[name="{prefix}-phq9-{number}"][value="{value}"]').check()
        review = page.locator(f'input[name="{prefix}-review"][value="{entry.review}"]')
        # The form asks about last time's task only when the member has one.
        if entry.review and review.count():
            review.check()
        if entry.task:
            page.locator(f"#{prefix}-task").fill(entry.task)
        if entry.problem_area:
            page.locator(f"#{prefix}-area").select_option(entry.problem_area)
    if entries.notes:
        page.locator("#notes").fill(entries.notes)
    ticks = page.locator('input[name="adherence"]')
    count = ticks.count()
    for index in range(count if entries.adherence_ticked is None else entries.adherence_ticked):
        ticks.nth(index).check()
    page.locator(f'input[name="self_fidelity"][value="{entries.self_rating}"]').check()
