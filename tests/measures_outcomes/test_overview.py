"""Outcomes on the course overview, and the chart each panel shows."""

from __future__ import annotations

import datetime
import re
from collections.abc import Callable
from typing import Any

from django.test import Client as HttpClient
from django.urls import reverse

from openipt.accounts.models import User
from openipt.audit.models import AuditEvent
from openipt.courses.services.medication import (
    MedicationData,
    medication_add,
    medication_change_add,
)
from openipt.courses.services.timeline import life_event_add
from openipt.measures.chart_data import NOT_ON_TRACK_PROMPT
from openipt.measures.models import ExpectedRecoveryCalibration
from tests.measures_outcomes.helpers import give_gad7, phq9_series
from tests.world import World

ClientFor = Callable[[User | None], HttpClient]


def overview(world: World, http: HttpClient) -> str:
    response = http.get(reverse("courses:overview", args=[world.course_1.public_id]))
    assert response.status_code == 200
    return response.content.decode()


def chart_url(world: World, code: str = "phq9") -> str:
    return reverse("courses:chart", args=[world.course_1.public_id, code])


def panel(body: str, code: str) -> str:
    match = re.search(
        rf'<section class="card outcome-panel[^"]*" aria-labelledby="h-outcome-{code}">'
        r"(.*?)</section>",
        body,
        re.S,
    )
    assert match is not None, f"no {code} panel"
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", match.group(1)))


def test_a_reliably_improved_course_shows_every_outcome_in_plain_words(
    world: World, client_for: ClientFor
) -> None:
    """GIVEN PHQ-9 totals 18, 16, 15, 13, 11, 8 at sessions 1–6 (baseline moderately severe)
    WHEN the clinician opens the overview
    THEN the PHQ-9 panel shows baseline 18, latest 8, a change of −10 points (−56 %),
    reliable improvement, response, no remission yet, recovery and reliable recovery,
    on track against a range labelled as a heuristic."""
    phq9_series(world.clinician, world.course_1, [18, 16, 15, 13, 11, 8])
    text = panel(overview(world, client_for(world.clinician)), "phq9")
    assert "Baseline 18 Moderately severe · session 1" in text
    assert "Latest 8 Mild · session 6" in text
    assert "−10 points (−56 %)" in text
    assert "Reliable improvement" in text
    assert "Response Yes: at least 50 % below the baseline" in text
    assert "Remission Not yet: remission is 4 or lower" in text
    assert "Recovery Yes: from the clinical range at baseline to below 10" in text
    assert "Reliable recovery Yes: recovered with a reliable improvement" in text
    assert "On track" in text
    assert "a heuristic" in text
    assert "default heuristic" in text
    assert NOT_ON_TRACK_PROMPT not in text


def test_a_course_above_the_expected_range_prompts_a_review(
    world: World, client_for: ClientFor
) -> None:
    """GIVEN PHQ-9 totals rising from 16 to 20 over sessions 1–6 (5 sessions after baseline)
    WHEN the overview is opened
    THEN the panel says the course is not on track and asks for a review of the focus,
    medication and frequency, and the page repeats the prompt near the top."""
    phq9_series(world.clinician, world.course_1, [16, 17, 18, 19, 20, 20])
    body = overview(world, client_for(world.clinician))
    text = panel(body, "phq9")
    assert "Not on track" in text
    assert f"{NOT_ON_TRACK_PROMPT}." in text
    assert "Reliable change No reliable change yet" in text
    assert body.index(NOT_ON_TRACK_PROMPT) < body.index('id="h-agenda"')


def test_it_is_too_early_to_judge_before_the_fourth_session_after_baseline(
    world: World, client_for: ClientFor
) -> None:
    phq9_series(world.clinician, world.course_1, [16, 22, 23])
    text = panel(overview(world, client_for(world.clinician)), "phq9")
    assert "Too early to compare" in text
    assert NOT_ON_TRACK_PROMPT not in text
    assert "Reliable deterioration" in text


def test_recovery_is_not_applicable_below_the_clinical_threshold_at_baseline(
    world: World, client_for: ClientFor
) -> None:
    phq9_series(world.clinician, world.course_1, [7, 3])
    text = panel(overview(world, client_for(world.clinician)), "phq9")
    assert "Recovery Not applicable: below the clinical threshold at baseline" in text
    assert "Remission Yes: latest score 4 or lower" in text


def test_a_single_score_is_a_baseline_only(world: World, client_for: ClientFor) -> None:
    phq9_series(world.clinician, world.course_1, [14])
    text = panel(overview(world, client_for(world.clinician)), "phq9")
    assert "Baseline only" in text
    assert "Needs a second score" in text
    assert "No baseline score yet" not in text


def test_each_instrument_given_has_its_own_panel_and_chart(
    world: World, client_for: ClientFor
) -> None:
    phq9_series(world.clinician, world.course_1, [15, 12])
    give_gad7(world.clinician, world.course_1, 1, 12)
    body = overview(world, client_for(world.clinician))
    assert "Baseline 12 Moderate · session 1" in panel(body, "gad7")
    for code in ("phq9", "gad7"):
        assert f'src="{chart_url(world, code)}"' in body
        assert f'srcset="{chart_url(world, code)}?size=narrow"' in body


def test_the_chart_image_has_alt_text_and_a_data_table(world: World, client_for: ClientFor) -> None:
    phq9_series(world.clinician, world.course_1, [18, 16, 15, 13, 11, 8])
    body = overview(world, client_for(world.clinician))
    alt = re.search(r'<img src="[^"]*phq9.svg" alt="([^"]+)"', body)
    assert alt is not None
    assert alt.group(1) == (
        "PHQ-9 chart: baseline 18 (Moderately severe) at session 1, latest 8 (Mild) at "
        "session 6, reliable improvement; on track against the expected range (a heuristic)."
    )
    table = re.search(r'<details class="chart-data">(.*?)</details>', body, re.S)
    assert table is not None
    rows = re.findall(r"<tr><td>(\d+)</td><td>[^<]+</td><td>(\d+)</td>", table.group(1))
    assert rows == [("1", "18"), ("2", "16"), ("3", "15"), ("4", "13"), ("5", "11"), ("6", "8")]


def test_an_overview_without_questionnaires_says_so(world: World, client_for: ClientFor) -> None:
    body = overview(world, client_for(world.supervisor))
    assert "No questionnaires in this course yet." in body
    assert "outcome-panel" not in body


def test_no_score_is_ever_called_low_risk(world: World, client_for: ClientFor) -> None:
    """GIVEN scores whose risk item (PHQ-9 item 9) was answered 0 WHEN the overview and the
    session page are shown THEN nothing calls the client low risk (a 0 is not evidence)."""
    phq9_series(world.clinician, world.course_1, [12, 2])
    http = client_for(world.clinician)
    session_page = http.get(
        reverse(
            "courses:session_detail", args=[world.course_1.public_id, world.session_1.public_id]
        )
    ).content.decode()
    for body in (overview(world, http), session_page):
        assert "low risk" not in body.lower()


def test_a_practice_calibration_replaces_the_default_and_says_how_many_courses(
    world: World, client_for: ClientFor
) -> None:
    """GIVEN a stored calibration from 7 courses with a steep slope for the moderately severe
    band WHEN a course from 16 stays at 14 by session 6 THEN it is not on track (it would be
    on track with the default), and the panel says the range was calibrated from 7 courses."""
    phq9_series(world.clinician, world.course_1, [16, 16, 15, 15, 14, 14])
    http = client_for(world.clinician)
    assert "On track" in panel(overview(world, http), "phq9")
    ExpectedRecoveryCalibration.objects.create(
        practice=world.practice_a,
        instrument_code="phq9",
        version="1.0",
        bands=[
            {"band_code": code, "k": k, "n_courses": n}
            for code, k, n in (
                ("minimal", 0.141, 0),
                ("mild", 0.494, 0),
                ("moderate", 1.694, 0),
                ("moderately_severe", 6.0, 7),
                ("severe", 3.318, 0),
            )
        ],
        courses_used=7,
    )
    text = panel(overview(world, http), "phq9")
    assert "Not on track" in text
    assert "calibrated from 7 completed courses of this practice" in text


def test_a_calibration_for_other_bands_is_ignored(world: World, client_for: ClientFor) -> None:
    ExpectedRecoveryCalibration.objects.create(
        practice=world.practice_a,
        instrument_code="phq9",
        version="1.0",
        bands=[{"band_code": "high", "k": 9.0, "n_courses": 9}],
        courses_used=9,
    )
    phq9_series(world.clinician, world.course_1, [16, 15])
    assert "default heuristic" in panel(overview(world, client_for(world.clinician)), "phq9")


def test_a_baseline_questionnaire_makes_the_baseline_task_done_and_not_tickable(
    world: World, client_for: ClientFor
) -> None:
    http = client_for(world.clinician)
    before = overview(world, http)
    assert re.search(r'name="task" value="baseline_measure"', before)
    phq9_series(world.clinician, world.course_1, [14])
    after = overview(world, http)
    assert not re.search(r'name="task" value="baseline_measure"', after)
    assert re.search(
        r'<li class="done">\s*<span class="task-state"[^>]*>✓</span>\s*'
        r"<span>Baseline symptom measure",
        after,
    )


# --- the chart view ------------------------------------------------------------------------


def get_chart(http: HttpClient, url: str) -> Any:
    return http.get(url)


def test_the_chart_is_an_svg_image_that_no_cache_keeps(world: World, client_for: ClientFor) -> None:
    phq9_series(world.clinician, world.course_1, [18, 16, 15, 13, 11, 8])
    response = client_for(world.clinician).get(chart_url(world))
    assert response.status_code == 200
    assert response["Content-Type"] == "image/svg+xml; charset=utf-8"
    assert response["Cache-Control"] == "private, no-store"
    policy = response["Content-Security-Policy"]
    assert "default-src 'none'" in policy
    assert "script-src" not in policy  # falls back to default-src 'none': no script at all
    body = response.content.decode()
    assert 'id="scores"' in body
    assert 'id="expected-band"' in body
    assert "<script" not in body


def test_reading_a_chart_is_audited_without_any_score(world: World, client_for: ClientFor) -> None:
    phq9_series(world.clinician, world.course_1, [18, 8])
    client_for(world.supervisor).get(chart_url(world))
    event = AuditEvent.objects.filter(object_type="measure_chart").get()
    assert (event.action, event.object_public_id) == ("view", world.course_1.public_id)
    assert event.actor == world.supervisor
    assert event.changed_fields == []


def test_the_chart_marks_medication_changes_and_life_events_of_the_course(
    world: World, client_for: ClientFor
) -> None:
    """GIVEN a medication started before the course (not marked), a dose change and a
    conflict during the course, and a removed-from-reach event before the course
    WHEN the chart is drawn THEN it marks the dose change and the conflict only."""
    course, actor = world.course_1, world.clinician
    phq9_series(actor, course, [18, 16, 15, 13, 11, 8])
    medication = medication_add(
        actor=actor,
        course=course,
        data=MedicationData(agent="Sertraline", dose="50 mg", start_date=datetime.date(2026, 6, 1)),
    )
    medication_change_add(
        actor=actor, medication=medication, date=datetime.date(2026, 9, 17), dose="100 mg"
    )
    life_event_add(
        actor=actor,
        course=course,
        data={"date": datetime.date(2026, 9, 26), "kind": "conflict", "title": "Row with Sam"},
    )
    life_event_add(
        actor=actor,
        course=course,
        data={"date": datetime.date(2025, 3, 1), "kind": "move", "title": "Moved town"},
    )
    body = client_for(actor).get(chart_url(world)).content.decode()
    assert 'id="marker-medication-1"' in body
    assert 'id="marker-medication-2"' not in body
    assert 'id="marker-life-event-1"' in body
    assert 'id="marker-life-event-2"' not in body
    page = overview(world, client_for(actor))
    assert "Medication: Sertraline: dose now 100 mg" in page
    assert "Conflict: Row with Sam" in page
    assert "Moved town" not in page


def test_the_narrow_chart_is_served_for_phones(world: World, client_for: ClientFor) -> None:
    phq9_series(world.clinician, world.course_1, [18, 8])
    http = client_for(world.clinician)
    wide = http.get(chart_url(world)).content.decode()
    narrow = http.get(chart_url(world) + "?size=narrow").content.decode()
    assert wide != narrow
    assert 'id="scores"' in narrow


def test_an_unknown_size_is_a_clear_400(world: World, client_for: ClientFor) -> None:
    response = client_for(world.clinician).get(chart_url(world) + "?size=poster")
    assert response.status_code == 400
    assert b"wide or narrow" in response.content


def test_an_unknown_instrument_is_a_404(world: World, client_for: ClientFor) -> None:
    assert client_for(world.clinician).get(chart_url(world, "nosuch")).status_code == 404


def test_a_chart_of_an_instrument_not_given_yet_says_no_scores(
    world: World, client_for: ClientFor
) -> None:
    response = client_for(world.clinician).get(chart_url(world, "gad7"))
    assert response.status_code == 200
    assert b"No scores yet" in response.content


def test_people_outside_the_course_get_the_same_404_as_for_a_missing_course(
    world: World, client_for: ClientFor
) -> None:
    phq9_series(world.clinician, world.course_1, [18, 8])
    for outsider in (world.colleague, world.clinician_b, world.admin, world.client_user_1):
        assert client_for(outsider).get(chart_url(world)).status_code == 404
    missing = reverse("courses:chart", args=["00000000-0000-0000-0000-000000000000", "phq9"])
    assert client_for(world.clinician).get(missing).status_code == 404
    assert client_for(None).get(chart_url(world)).status_code == 302
