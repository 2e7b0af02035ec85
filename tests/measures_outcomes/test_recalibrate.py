"""`manage.py recalibrate_expected_recovery`: slopes fitted to a practice's completed courses."""

from __future__ import annotations

import datetime
import io
import math
import re

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from openipt.audit.models import AuditEvent
from openipt.courses.models import Course, CourseStatus
from openipt.courses.services.course import course_start
from openipt.measures.engine import shipped
from openipt.measures.models import ExpectedRecoveryCalibration
from tests.factories import CareTeamMemberFactory, ClientFactory
from tests.measures_outcomes.helpers import phq9_series
from tests.world import World

PHQ9 = shipped("phq9")


def completed_course(world: World, name: str, totals: list[int], *, close: bool = True) -> Course:
    """A course with one PHQ-9 per session, then closed (as after its progress review)."""
    client = ClientFactory.create(practice=world.practice_a, family_name=name)
    CareTeamMemberFactory.create(client=client, user=world.clinician)
    course = course_start(
        actor=world.clinician,
        client=client,
        variant_code="ipt16",
        planned_sessions=16,
        frequency="weekly",
        session_minutes=50,
        start_date=datetime.date(2026, 8, 1),
    )
    phq9_series(world.clinician, course, totals)
    if close:
        # Closing needs a progress review; the review's own rules are tested elsewhere.
        Course.objects.filter(pk=course.pk).update(status=CourseStatus.CLOSED)
    return course


def curve(baseline: int, k: float, sessions: int = 8) -> list[int]:
    return [round(baseline - k * math.log1p(s)) for s in range(sessions)]


def run(world: World, *args: str) -> str:
    out = io.StringIO()
    call_command(
        "recalibrate_expected_recovery",
        "--practice",
        str(world.practice_a.public_id),
        "--instrument",
        "phq9",
        *args,
        stdout=out,
    )
    return out.getvalue()


def test_with_too_few_completed_courses_the_default_is_kept_and_nothing_stored(
    world: World,
) -> None:
    """GIVEN three completed courses (and an active one, which does not count)
    WHEN the command runs THEN every band keeps its default, the output says so plainly,
    and no calibration is stored."""
    for index in range(3):
        completed_course(world, f"Done{index}", curve(17, 4.0))
    completed_course(world, "Active", curve(17, 4.0), close=False)
    output = run(world)
    assert "PHQ-9 at Riverside Clinic: 3 completed courses" in output
    assert "Moderately severe: too few courses (3 of 5 needed): default k = 2.40 kept" in output
    assert "Minimal: too few courses (0 of 5 needed)" in output
    assert "the default heuristic is kept and nothing was stored" in output
    assert not ExpectedRecoveryCalibration.objects.exists()


def test_enough_completed_courses_calibrate_their_band_and_are_stored_and_audited(
    world: World,
) -> None:
    """GIVEN six completed courses starting moderately severe that fall by about
    4·ln(1 + s) WHEN the command runs THEN that band's slope is about 4 from 6 courses,
    the other bands keep their defaults, and the stored row is audited."""
    for index in range(6):
        completed_course(world, f"Done{index}", curve(17, 4.0))
    output = run(world)
    row = ExpectedRecoveryCalibration.objects.get()
    bands = {entry["band_code"]: entry for entry in row.bands}
    assert bands["moderately_severe"]["n_courses"] == 6
    assert bands["moderately_severe"]["k"] == pytest.approx(4.0, abs=0.15)
    assert bands["moderate"] == {"band_code": "moderate", "k": 1.694, "n_courses": 0}
    assert (row.practice, row.instrument_code, row.version, row.courses_used) == (
        world.practice_a,
        "phq9",
        PHQ9.version,
        6,
    )
    assert re.search(
        r"Moderately severe: k = (3\.9\d|4\.0\d) from 6 courses \(default 2\.40\)", output
    )
    assert "Stored: calibrated from 6 courses" in output
    event = AuditEvent.objects.filter(object_type="expected_recovery_calibration").get()
    assert (event.action, event.object_public_id) == ("create", row.public_id)
    assert event.practice == world.practice_a


def test_a_dry_run_shows_the_fit_and_stores_nothing(world: World) -> None:
    for index in range(5):
        completed_course(world, f"Done{index}", curve(22, 5.0))
    output = run(world, "--dry-run")
    assert re.search(r"  Severe: k = (4\.9\d|5\.0\d) from 5 courses", output)
    assert "Dry run: nothing stored (5 courses would be used)." in output
    assert not ExpectedRecoveryCalibration.objects.exists()


def test_the_practice_can_be_named_and_mistakes_are_clear_errors(world: World) -> None:
    out = io.StringIO()
    call_command(
        "recalibrate_expected_recovery", "--practice", "riverside clinic", "--dry-run", stdout=out
    )
    assert "PHQ-9 at Riverside Clinic: 0 completed courses" in out.getvalue()
    with pytest.raises(CommandError, match="No practice has the id or name"):
        call_command("recalibrate_expected_recovery", "--practice", "Nowhere")
    with pytest.raises(CommandError, match="has no instrument 'nosuch'"):
        call_command(
            "recalibrate_expected_recovery",
            "--practice",
            "Riverside Clinic",
            "--instrument",
            "nosuch",
        )
    with pytest.raises(CommandError, match="PHQ-2 has no expected-recovery curve"):
        call_command(
            "recalibrate_expected_recovery",
            "--practice",
            "Riverside Clinic",
            "--instrument",
            "phq2",
        )


def test_the_new_calibration_is_what_the_overview_uses(world: World) -> None:
    from openipt.measures.chart_data import recovery_parameters_for

    for index in range(5):
        completed_course(world, f"Done{index}", curve(17, 4.0))
    run(world)
    parameters = recovery_parameters_for(world.practice_a, [PHQ9])["phq9"]
    assert parameters.calibrated
    assert parameters.source.startswith("calibrated from 5 completed courses of this practice")
