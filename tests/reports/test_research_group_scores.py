"""Group programme scores in the research export: scoped like the group pages."""

from __future__ import annotations

import csv
import datetime
import io
from collections.abc import Callable

import pytest
from django.core.management import call_command
from django.http import StreamingHttpResponse
from django.test import Client as HttpClient

from openipt.accounts.models import User
from openipt.groups.models import GroupMember, GroupSession, MemberScore
from tests.groups.world import GroupWorld, build_group_world, phq9_answers
from tests.world import World

pytestmark = pytest.mark.django_db

ClientFor = Callable[[User | None], HttpClient]
URL = "/reports/research/"


def _score(member: GroupMember, at: datetime.datetime, session: GroupSession | None) -> None:
    MemberScore.objects.create(
        member=member,
        session=session,
        practice=member.practice,
        instrument_code="phq9",
        instrument_version="1.0",
        answers=phq9_answers(2, 2, 2, 2, 2, 2, 1, 1, 0),
        total=14,
        band_code="moderate",
        administered_at=at,
        entered_by=member.facilitator,
    )


@pytest.fixture
def groups(world: World) -> GroupWorld:
    gw = build_group_world(world)
    for group in (gw.group, gw.group_2):
        session = GroupSession.objects.create(
            group=group,
            number=1,
            held_on=datetime.date(2026, 11, 16),
            notes="CANARY-GROUP-NOTE",
            recorded_by=group.facilitator,
        )
        for member in group.members.all():
            screened = member.screening.screened_at
            _score(member, screened, None)
            _score(member, screened + datetime.timedelta(days=14), session)
    return gw


def _rows(response: object) -> tuple[str, list[dict[str, str]]]:
    assert isinstance(response, StreamingHttpResponse), response
    text = b"".join(response.streaming_content).decode()  # type: ignore[arg-type]
    return text, list(csv.DictReader(io.StringIO(text)))


def test_a_supervisor_exports_the_members_of_the_facilitators_they_supervise(
    groups: GroupWorld, client_for: ClientFor
) -> None:
    http = client_for(groups.supervisor)
    assert "group_scores" in http.get(URL).content.decode()
    text, rows = _rows(http.post(URL, {"kind": "group_scores", "dates": "days"}))
    assert len(rows) == 6  # Fay's three members, two scores each; not Finn's member
    assert len({row["client"] for row in rows}) == 3
    assert len({row["group"] for row in rows}) == 1
    assert sorted((row["timepoint"], row["day"], row["session_number"]) for row in rows) == (
        [("screening", "0", "")] * 3 + [("session", "14", "1")] * 3
    )
    first = rows[0]
    assert first["problem_area"] == "role_dispute" and first["member_status"] == "enrolled"
    assert first["item_phq9-1"] == "2" and first["total"] == "14"
    assert first["age_band"] == "35-44"
    for canary in ("Grace", "Okafor", "Hana", "Ivy", "Joy", "Tuesday", "CANARY", "example.test"):
        assert canary not in text
    for member in [*groups.members, groups.member_2]:
        assert str(member.public_id) not in text
        assert str(member.client.public_id) not in text
    assert str(groups.group.public_id) not in text


def test_the_other_supervisor_sees_only_their_facilitators_member(
    groups: GroupWorld, client_for: ClientFor
) -> None:
    _text, rows = _rows(
        client_for(groups.supervisor_2).post(URL, {"kind": "group_scores", "dates": "shift"})
    )
    assert len(rows) == 2 and len({row["client"] for row in rows}) == 1
    shifted = [datetime.date.fromisoformat(row["date"]) for row in rows]
    assert abs((shifted[1] - shifted[0]).days) == 14


def test_a_facilitator_may_not_export(groups: GroupWorld, client_for: ClientFor) -> None:
    http = client_for(groups.facilitator)
    assert http.post(URL, {"kind": "group_scores", "dates": "days"}).status_code == 403


def test_the_command_exports_every_member_of_the_practice(groups: GroupWorld) -> None:
    stdout, stderr = io.StringIO(), io.StringIO()
    call_command(
        "research_export",
        "--practice",
        str(groups.world.practice_a.public_id),
        "--kind",
        "group_scores",
        "--dates",
        "days",
        "--out",
        "-",
        stdout=stdout,
        stderr=stderr,
    )
    rows = list(csv.DictReader(io.StringIO(stdout.getvalue())))
    assert len(rows) == 8 and len({row["client"] for row in rows}) == 4
    assert len({row["group"] for row in rows}) == 2
