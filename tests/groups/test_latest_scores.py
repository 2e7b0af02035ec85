"""Which PHQ-9 is a member's latest: the one of the highest session, not the newest stamp.

A session's scores are stamped midday of the session's day, so a screening
entered on the afternoon of session 1's day (or a correction saved later) has
a later time than the session's scores. The group page's "Latest PHQ-9" and the
member page's "PHQ-9 over time" go by session number, the screening first.
"""

from __future__ import annotations

import datetime
import re
from collections.abc import Callable

import pytest
from django.test import Client as HttpClient
from django.urls import reverse
from django.utils import timezone

from openipt.accounts.models import User
from openipt.groups.models import Attendance, GroupMember, GroupSession, MemberScore
from openipt.groups.selectors.members import group_page, member_page
from openipt.groups.services.session_checks import MemberEntry
from openipt.groups.services.sessions import group_session_record
from tests.groups.world import GroupWorld, phq9_answers

pytestmark = pytest.mark.django_db

Login = Callable[[User | None], HttpClient]
SESSION_DAY = datetime.date(2026, 10, 6)


def _at(day: datetime.date, hour: int) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time(hour)))


def _score(
    member: GroupMember, session: GroupSession | None, total: int, at: datetime.datetime
) -> MemberScore:
    values = [min(3, max(0, total - 3 * n)) for n in range(8)] + [0]
    return MemberScore.objects.create(
        member=member,
        session=session,
        practice=member.practice,
        instrument_version="1.0",
        answers=phq9_answers(*values),
        total=total,
        band_code="moderate",
        administered_at=at,
        entered_by=member.facilitator,
    )


def _session_1_with_a_late_screening(gw: GroupWorld) -> GroupMember:
    """Grace: screened (total 14) at 15:00 on the day of session 1, scored 8 at session 1."""
    grace = gw.members[0]
    session = GroupSession.objects.create(
        group=gw.group, number=1, held_on=SESSION_DAY, recorded_by=gw.facilitator
    )
    Attendance.objects.create(session=session, member=grace, present=True)
    _score(grace, session, 8, _at(SESSION_DAY, 12))
    _score(grace, None, 14, _at(SESSION_DAY, 15))
    return grace


def test_the_group_pages_latest_is_session_1_not_a_later_same_day_screening(
    group_world: GroupWorld, client_for: Login
) -> None:
    """GIVEN a member screened (PHQ-9 14) at 15:00 on the day of session 1, where she
    scored 8 (stamped midday)
    WHEN the group page is read
    THEN her latest PHQ-9 is session 1's 8, not the screening's 14."""
    gw = group_world
    grace = _session_1_with_a_late_screening(gw)
    row = next(r for r in group_page(group=gw.group).members if r.member == grace)
    assert row.latest_total == 8
    url = reverse("groups:group_detail", args=[gw.group.public_id])
    html = client_for(gw.facilitator).get(url).content.decode()
    cells = re.search(r"Grace Okafor.*?Latest PHQ-9:</span> (.*?)</td>", html, re.S)
    assert cells is not None and cells.group(1) == "<strong>8</strong>"


def test_the_member_pages_history_lists_the_screening_first_then_by_session(
    group_world: GroupWorld, client_for: Login
) -> None:
    """GIVEN the same member, and session 2 (score 6) whose score is stamped before
    session 1's (a correction of session 1 saved later)
    WHEN her page is read
    THEN "PHQ-9 over time" lists the screening, session 1, session 2, in that order."""
    gw = group_world
    grace = _session_1_with_a_late_screening(gw)
    session_2 = GroupSession.objects.create(
        group=gw.group, number=2, held_on=SESSION_DAY, recorded_by=gw.facilitator
    )
    _score(grace, session_2, 6, _at(SESSION_DAY, 11))
    page = member_page(member=grace)
    assert [(r.session_number, r.score.total) for r in page.scores] == [
        (None, 14),
        (1, 8),
        (2, 6),
    ]
    html = (
        client_for(gw.facilitator)
        .get(reverse("groups:member_detail", args=[grace.public_id]))
        .content.decode()
    )
    table = html[html.index('id="h-scores"') :]
    assert table.index("Screening") < table.index("Session 1") < table.index("Session 2")
    # On a phone the table sits in a scrolling box: it never widens the page.
    assert '<div class="overflow-auto">\n  <table class="striped history-table member-scores">' in (
        html
    )


def test_recording_sessions_on_the_screening_day_keeps_the_latest_right(
    group_world: GroupWorld,
) -> None:
    """GIVEN a member screened this afternoon (the score stamped now) and session 1
    recorded for today through the service
    WHEN the group page is read
    THEN her latest PHQ-9 is session 1's, whatever time the session's scores carry."""
    gw = group_world
    grace = gw.members[0]
    _score(grace, None, 20, timezone.now())
    answers = phq9_answers(1, 1, 1, 1, 1, 1, 1, 1, 0)
    group_session_record(
        actor=gw.facilitator,
        group=gw.group,
        number=1,
        held_on=timezone.localdate(),
        entries=[MemberEntry(m.public_id, True, answers) for m in gw.members],
    )
    row = next(r for r in group_page(group=gw.group).members if r.member == grace)
    assert row.latest_total == 8
