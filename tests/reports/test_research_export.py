"""The research export page and command: de-identification, access, audit, bad input."""

from __future__ import annotations

import csv
import datetime
import io
import itertools
import os
import stat
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
from allauth.mfa.totp.internal.auth import TOTP
from django.core.management import CommandError, call_command
from django.db import connection
from django.http import StreamingHttpResponse
from django.test import Client as HttpClient
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from openipt.accounts.models import User
from openipt.audit.models import AuditAction, AuditEvent
from openipt.courses.models import (
    Course,
    FocusArea,
    Formulation,
    Goal,
    ProcessNote,
    Session,
    TechniqueUse,
    TerminationReview,
)
from openipt.measures.models import MeasureAdministration
from openipt.measures.services import measure_submit
from openipt.practice.models import Role
from openipt.reports.research import queries
from tests.factories import CareTeamMemberFactory, ClientFactory, MembershipFactory
from tests.measures.helpers import gad7_answers, phq9_answers
from tests.world import TOTP_SECRET, World

pytestmark = pytest.mark.django_db

ClientFor = Callable[[User | None], HttpClient]
URL = "/reports/research/"


def _at(day: datetime.date) -> datetime.datetime:
    # Noon UTC: the same calendar day in any time zone the practice might use.
    return datetime.datetime.combine(day, datetime.time(12), tzinfo=datetime.UTC)


@dataclass
class ResearchWorld:
    world: World
    course_2: Course
    course_b: Course
    administrations: list[MeasureAdministration]
    canaries: list[str]


def _submit(
    actor: User,
    course: Course,
    day: datetime.date,
    answers: dict[str, object],
    code: str = "phq9",
    session: Session | None = None,
) -> MeasureAdministration:
    return measure_submit(
        actor=actor,
        course=course,
        instrument_code=code,
        answers=answers,
        administered_at=_at(day),
        session=session,
    )


@pytest.fixture
def research(world: World) -> ResearchWorld:
    w = world
    client_1 = w.client_1
    client_1.phone = "+44 7700 900123"
    client_1.preferred_name = "Ally"
    client_1.address = "CANARY-ADDRESS 12 Mill Lane"
    client_1.save()
    course_2 = Course.objects.create(
        client=w.client_2,
        practice=w.practice_a,
        variant="ipt12",
        planned_sessions=12,
        frequency="weekly",
        session_minutes=50,
        start_date=datetime.date(2026, 10, 1),
        initial_last=3,
        middle_last=10,
        created_by=w.clinician,
    )
    course_b = Course.objects.create(
        client=w.client_b,
        practice=w.practice_b,
        variant="ipt16",
        planned_sessions=16,
        frequency="weekly",
        session_minutes=50,
        start_date=datetime.date(2026, 9, 10),
        initial_last=3,
        middle_last=14,
        created_by=w.clinician_b,
    )
    # Free text everywhere a clinician types: none of it may reach a file.
    session_2 = Session.objects.create(
        course=w.course_1,
        number=2,
        date=datetime.date(2026, 9, 8),
        phase="initial",
        attendance="no_show",
        summary="CANARY-SESSION-SUMMARY",
        adherence=["diagnosis_given"],
        recorded_by=w.clinician,
    )
    TechniqueUse.objects.create(
        session=w.session_1, technique="communication_analysis", details="CANARY-TECHNIQUE"
    )
    ProcessNote.objects.create(session=w.session_1, text="CANARY-PROCESS-NOTE", author=w.clinician)
    Formulation.objects.create(
        course=w.course_1, number=1, text="CANARY-FORMULATION", written_by=w.clinician
    )
    focus = FocusArea.objects.create(
        course=w.course_1, area="role_dispute", detail="CANARY-FOCUS", chosen_by=w.clinician
    )
    Goal.objects.create(course=w.course_1, focus_area=focus, text="CANARY-GOAL")
    TerminationReview.objects.create(
        course=w.course_1,
        warning_signs="CANARY-WARNING-SIGNS",
        outcome_category="responder",
        next_step="end",
        recorded_by=w.clinician,
    )
    administrations = [
        _submit(
            w.clinician,
            w.course_1,
            datetime.date(2026, 9, 1),
            phq9_answers((2, 2, 2, 2, 2, 2, 2, 2, 0)),
            session=w.session_1,
        ),
        _submit(w.clinician, w.course_1, datetime.date(2026, 9, 15), gad7_answers(), code="gad7"),
        _submit(w.clinician, w.course_1, datetime.date(2026, 9, 29), phq9_answers()),
        _submit(w.clinician, course_2, datetime.date(2026, 10, 1), phq9_answers()),
        _submit(w.clinician_b, course_b, datetime.date(2026, 9, 10), phq9_answers()),
    ]
    canaries = [
        "Alice",
        "Anders",
        "Ally",
        "Bob",
        "Brown",
        "Charlie",
        "Chen",
        "Riverside",
        "Hillside",
        "Clara",
        "example.test",
        "7700",
        "1990-05-17",
        "First meeting.",
        "CANARY",
        "Mill Lane",
    ]
    for obj in (w.client_1, w.client_2, w.client_b, w.course_1, course_2, w.session_1, session_2):
        canaries.append(str(obj.public_id))
    for administration in administrations:
        canaries.append(str(administration.public_id))
    for user in (w.clinician, w.admin, w.supervisor):
        canaries.extend([user.email, str(user.public_id) if hasattr(user, "public_id") else ""])
    return ResearchWorld(
        world=w,
        course_2=course_2,
        course_b=course_b,
        administrations=administrations,
        canaries=[c for c in canaries if c],
    )


def _body(response: object) -> str:
    assert isinstance(response, StreamingHttpResponse)
    return b"".join(response.streaming_content).decode()  # type: ignore[arg-type]


def _export(http: HttpClient, **data: str) -> tuple[str, list[dict[str, str]]]:
    response = http.post(URL, {"dates": "shift", **data})
    assert response.status_code == 200, response.content[:2000]
    assert response["Content-Type"].startswith("text/csv")
    text = _body(response)
    return text, list(csv.DictReader(io.StringIO(text)))


# --- what is in the files -------------------------------------------------------------------


def test_the_url_is_where_the_brief_says() -> None:
    assert reverse("reports:research_export") == URL


def test_those_who_may_export_find_the_page_and_others_do_not(
    world: World, client_for: ClientFor
) -> None:
    """The admin from the practice tabs, a supervisor from the caseload; a clinician
    (who may not export) sees no link on their caseload."""
    link = f'href="{URL}"'
    admin_page = client_for(world.admin).get(reverse("manage:members")).content.decode()
    assert link in admin_page
    supervisor_page = client_for(world.supervisor).get(reverse("courses:caseload"))
    assert link in supervisor_page.content.decode()
    clinician_page = client_for(world.clinician).get(reverse("courses:caseload"))
    assert clinician_page.status_code == 200
    assert link not in clinician_page.content.decode()


@pytest.mark.parametrize("kind", ["administrations", "sessions", "courses"])
@pytest.mark.parametrize("dates", ["shift", "days"])
def test_no_identifying_string_or_free_text_reaches_any_file(
    research: ResearchWorld, client_for: ClientFor, kind: str, dates: str
) -> None:
    text, rows = _export(client_for(research.world.admin), kind=kind, dates=dates)
    assert rows, "the export should not be empty"
    for canary in research.canaries:
        assert canary.lower() not in text.lower(), canary


def test_questionnaire_rows_carry_scores_items_and_pseudonyms(
    research: ResearchWorld, client_for: ClientFor
) -> None:
    _text, rows = _export(client_for(research.world.admin), kind="administrations")
    assert len(rows) == 4  # practice A only: client_b's questionnaire is not here
    by_client: dict[str, list[dict[str, str]]] = {}
    for row in rows:
        by_client.setdefault(row["client"], []).append(row)
    assert sorted(len(r) for r in by_client.values()) == [1, 3]
    alice = next(r for r in by_client.values() if len(r) == 3)
    assert len({row["course"] for row in alice}) == 1
    baseline = next(row for row in alice if row["instrument"] == "phq9" and row["total"] == "16")
    assert baseline["session_number"] == "1"
    assert baseline["band"] == "moderately_severe"
    assert baseline["item_phq9-1"] == "2" and baseline["item_phq9-9"] == "0"
    assert baseline["age_band"] == "35-44"
    assert baseline["variant"] == "ipt16"
    gad = next(row for row in alice if row["instrument"] == "gad7")
    assert gad["item_gad7-1"] == "1" and gad["item_phq9-1"] == ""


def test_a_date_shift_keeps_intervals_within_a_client_and_hides_real_dates(
    research: ResearchWorld, client_for: ClientFor
) -> None:
    text, rows = _export(client_for(research.world.admin), kind="administrations", dates="shift")
    alice = sorted(
        (row for row in rows if row["course"] == _course_of(rows, "gad7")),
        key=lambda row: row["date"],
    )
    days = [datetime.date.fromisoformat(row["date"]) for row in alice]
    assert [(d - days[0]).days for d in days] == [0, 14, 28]
    for real in ("2026-09-01", "2026-09-15", "2026-09-29", "2026-10-01"):
        assert real not in text
    assert "day" not in rows[0]


def _course_of(rows: list[dict[str, str]], instrument: str) -> str:
    return next(row["course"] for row in rows if row["instrument"] == instrument)


def test_days_mode_counts_from_the_start_of_the_course(
    research: ResearchWorld, client_for: ClientFor
) -> None:
    text, rows = _export(client_for(research.world.admin), kind="administrations", dates="days")
    assert sorted(int(row["day"]) for row in rows) == [0, 0, 14, 28]
    assert "date" not in rows[0]
    assert "2026-" not in text


def test_pseudonyms_are_stable_within_an_export_and_new_in_the_next(
    research: ResearchWorld, client_for: ClientFor
) -> None:
    http = client_for(research.world.admin)
    _t, first = _export(http, kind="administrations")
    _t, second = _export(http, kind="administrations")
    first_clients = {row["client"] for row in first}
    second_clients = {row["client"] for row in second}
    assert len(first_clients) == len(second_clients) == 2
    assert not first_clients & second_clients
    assert not {row["course"] for row in first} & {row["course"] for row in second}
    assert {row["date"] for row in first} != {row["date"] for row in second}


def test_session_rows_hold_codes_and_counts(research: ResearchWorld, client_for: ClientFor) -> None:
    _text, rows = _export(client_for(research.world.admin), kind="sessions", dates="days")
    assert [(row["session_number"], row["day"]) for row in rows] == [("1", "0"), ("2", "7")]
    first, second = rows
    assert first["techniques"] == "communication_analysis"
    assert second["attendance"] == "no_show"
    assert second["adherence_codes"] == "diagnosis_given" and second["adherence_items"] == "1"
    assert first["client"] == second["client"]


def test_course_rows_hold_outcomes_and_codes(
    research: ResearchWorld, client_for: ClientFor
) -> None:
    _text, rows = _export(client_for(research.world.admin), kind="courses", dates="days")
    assert len(rows) == 2
    alice = next(row for row in rows if row["variant"] == "ipt16")
    assert alice["phq9_baseline"] == "16" and alice["phq9_latest"] == "8"
    assert alice["phq9_change"] == "-8"  # a negative number, not neutralised text
    assert alice["phq9_response"] == "1"
    assert alice["gad7_n"] == "1"
    assert alice["focus_areas"] == "role_dispute"
    assert alice["outcome_category"] == "responder" and alice["next_step"] == "end"
    assert alice["sessions_recorded"] == "2" and alice["sessions_missed"] == "1"
    assert "start_date" not in alice and alice["closed_day"] == ""


def test_one_instrument_and_a_period(research: ResearchWorld, client_for: ClientFor) -> None:
    http = client_for(research.world.admin)
    response = http.post(
        URL,
        {
            "kind": "administrations",
            "dates": "days",
            "instrument": "phq9",
            "period_from": "2026-09-02",
            "period_to": "2026-10-31",
        },
    )
    assert "phq9" in response["Content-Disposition"]
    rows = list(csv.DictReader(io.StringIO(_body(response))))
    assert sorted(row["day"] for row in rows) == ["0", "28"]
    assert all(row["instrument"] == "phq9" for row in rows)
    assert not any(name.startswith("item_gad7") for name in rows[0])


def test_the_download_names_nothing_identifying(
    research: ResearchWorld, client_for: ClientFor
) -> None:
    response = client_for(research.world.admin).post(URL, {"kind": "courses", "dates": "days"})
    assert response["Content-Disposition"] == 'attachment; filename="research-courses-days.csv"'
    assert response["Cache-Control"] == "no-store"


def test_rows_come_a_chunk_of_clients_at_a_time_grouped_by_client(
    research: ResearchWorld, client_for: ClientFor, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(queries, "CHUNK_CLIENTS", 1)
    _text, rows = _export(client_for(research.world.admin), kind="administrations")
    clients = [row["client"] for row in rows]
    assert len(clients) == 4
    # Each client's rows are together: the client changes once.
    assert sum(1 for a, b in itertools.pairwise(clients) if a != b) == 1


def test_the_number_of_queries_does_not_grow_with_the_clients(
    research: ResearchWorld, client_for: ClientFor
) -> None:
    http = client_for(research.world.admin)

    def count() -> int:
        with CaptureQueriesContext(connection) as captured:
            _export(http, kind="courses", dates="days")
        return len(captured)

    before = count()
    w = research.world
    for n in range(4):
        client = ClientFactory.create(practice=w.practice_a)
        CareTeamMemberFactory.create(client=client, user=w.clinician, role="clinician")
        course = Course.objects.create(
            client=client,
            practice=w.practice_a,
            variant="ipt16",
            planned_sessions=16,
            frequency="weekly",
            session_minutes=50,
            start_date=datetime.date(2026, 9, 1 + n),
            initial_last=3,
            middle_last=14,
            created_by=w.clinician,
        )
        _submit(w.clinician, course, datetime.date(2026, 9, 20), phq9_answers())
    assert count() == before


# --- formula injection through the whole path ----------------------------------------------


def test_a_formula_in_a_code_field_never_reaches_the_file(
    research: ResearchWorld, client_for: ClientFor
) -> None:
    # A code column that somehow holds a formula: it is not a code, so it is dropped.
    MeasureAdministration.objects.filter(pk=research.administrations[0].pk).update(
        band_code='=HYPERLINK("http://evil")'
    )
    text, _rows = _export(client_for(research.world.admin), kind="administrations")
    assert "HYPERLINK" not in text and "evil" not in text


# --- audit ------------------------------------------------------------------------------------


def test_every_export_is_audited_with_names_only(
    research: ResearchWorld, client_for: ClientFor
) -> None:
    before = AuditEvent.objects.filter(action=AuditAction.EXPORT).count()
    _export(client_for(research.world.admin), kind="administrations", dates="days")
    events = AuditEvent.objects.filter(action=AuditAction.EXPORT, object_type="research_export")
    assert events.count() == before + 1
    event = events.latest("sequence")
    assert event.actor == research.world.admin
    assert event.practice == research.world.practice_a
    assert event.subject_client_public_id is None and event.object_public_id is None
    assert {"kind:administrations", "dates:days", "item_answers", "total"} <= set(
        event.changed_fields
    )


def test_a_refused_export_writes_no_export_event(
    research: ResearchWorld, client_for: ClientFor
) -> None:
    client_for(research.world.admin).post(URL, {"kind": "nonsense", "dates": "shift"})
    assert not AuditEvent.objects.filter(object_type="research_export").exists()


# --- who may export ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("role", "status"),
    [
        ("admin", 200),
        ("supervisor", 200),
        ("clinician", 403),
        ("colleague", 403),
        ("facilitator", 403),
        ("client", 403),
        ("clinician_b", 403),
        ("client_b", 403),
        ("programme_manager", 403),
    ],
)
def test_who_may_open_the_page(
    research: ResearchWorld, client_for: ClientFor, role: str, status: int
) -> None:
    user = research.world.users_by_role_name()[role]
    http = client_for(user)
    assert http.get(URL).status_code == status
    post = http.post(URL, {"kind": "courses", "dates": "days"})
    assert post.status_code == status
    if status == 403:
        assert not AuditEvent.objects.filter(object_type="research_export").exists()


def test_a_signed_out_visitor_is_sent_to_sign_in(client_for: ClientFor, db: None) -> None:
    for response in (client_for(None).get(URL), client_for(None).post(URL, {"kind": "courses"})):
        assert response.status_code == 302
        assert "/accounts/login/" in response["Location"]


def test_another_practices_admin_exports_only_their_own_practice(
    research: ResearchWorld, client_for: ClientFor
) -> None:
    w = research.world
    admin_b = MembershipFactory.create(practice=w.practice_b, role=Role.PRACTICE_ADMIN).user
    TOTP.activate(admin_b, TOTP_SECRET)
    _text, rows = _export(client_for(admin_b), kind="administrations", dates="days")
    assert len(rows) == 1 and rows[0]["day"] == "0"
    _text, courses = _export(client_for(admin_b), kind="courses", dates="days")
    assert len(courses) == 1


def test_group_scores_are_not_offered_to_an_admin(
    research: ResearchWorld, client_for: ClientFor
) -> None:
    http = client_for(research.world.admin)
    assert "group_scores" not in http.get(URL).content.decode()
    response = http.post(URL, {"kind": "group_scores", "dates": "shift"})
    assert response.status_code == 400
    assert "is not an export you can make here" in response.content.decode()


# --- bad input --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"kind": "nonsense", "dates": "shift"}, "is not an export you can make here"),
        ({"dates": "shift"}, "This field is required"),
        ({"kind": "courses", "dates": "sideways"}, "Select a valid choice"),
        ({"kind": "courses", "dates": "shift", "period_from": "2026-13-45"}, "valid date"),
        ({"kind": "courses", "dates": "shift", "period_to": "yesterday"}, "valid date"),
        (
            {
                "kind": "courses",
                "dates": "shift",
                "period_from": "2026-10-01",
                "period_to": "2026-09-01",
            },
            "before its start",
        ),
        ({"kind": "administrations", "dates": "shift", "instrument": "nope"}, "Select a valid"),
    ],
)
def test_bad_input_is_a_400_with_a_message(
    research: ResearchWorld, client_for: ClientFor, data: dict[str, str], message: str
) -> None:
    response = client_for(research.world.admin).post(URL, data)
    assert response.status_code == 400
    page = response.content.decode()
    assert message in page
    assert "could not be made" in page


def test_other_methods_are_refused(research: ResearchWorld, client_for: ClientFor) -> None:
    assert client_for(research.world.admin).put(URL).status_code == 405


# --- the management command -------------------------------------------------------------------


def test_the_command_streams_a_private_file(research: ResearchWorld, tmp_path: Path) -> None:
    out = tmp_path / "sessions.csv"
    stdout = io.StringIO()
    call_command(
        "research_export",
        "--practice",
        str(research.world.practice_a.public_id),
        "--kind",
        "sessions",
        "--dates",
        "days",
        "--out",
        str(out),
        stdout=stdout,
    )
    assert "Wrote 2 sessions rows" in stdout.getvalue()
    assert stat.S_IMODE(os.stat(out).st_mode) == 0o600
    text = out.read_text()
    rows = list(csv.DictReader(io.StringIO(text)))
    assert [row["day"] for row in rows] == ["0", "7"]
    for canary in research.canaries:
        assert canary.lower() not in text.lower(), canary
    event = AuditEvent.objects.filter(object_type="research_export").latest("sequence")
    assert event.actor is None and event.practice == research.world.practice_a


def test_the_command_writes_to_stdout_with_a_dash(research: ResearchWorld) -> None:
    stdout, stderr = io.StringIO(), io.StringIO()
    call_command(
        "research_export",
        "--practice",
        str(research.world.practice_b.public_id),
        "--kind",
        "courses",
        "--out",
        "-",
        stdout=stdout,
        stderr=stderr,
    )
    rows = list(csv.DictReader(io.StringIO(stdout.getvalue())))
    assert len(rows) == 1 and rows[0]["start_date"]
    assert "Wrote 1 courses rows" in stderr.getvalue()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--practice", "not-a-uuid", "--kind", "courses"], "No practice"),
        (
            ["--practice", "00000000-0000-0000-0000-000000000000", "--kind", "courses"],
            "No practice",
        ),
        (["--kind", "courses", "--from", "2026-02-31"], "valid date"),
        (["--kind", "courses", "--instrument", "nope"], "Select a valid choice"),
        (["--kind", "shapes"], "invalid choice"),
    ],
)
def test_the_command_refuses_bad_input(
    research: ResearchWorld, tmp_path: Path, args: list[str], message: str
) -> None:
    if "--practice" not in args:
        args = ["--practice", str(research.world.practice_a.public_id), *args]
    with pytest.raises(CommandError, match=message):
        call_command("research_export", *args, "--out", str(tmp_path / "x.csv"))
    assert not (tmp_path / "x.csv").exists()
