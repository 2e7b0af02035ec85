"""A stored-XSS corpus, written through the services into every free-text field.

Each field gets one payload of the corpus followed by a short tag (" ~k007"),
so that every stored value is unique and a test can say which field a value
came from. `build_xss_world` writes them with the same services a person's
clicks use on top of the shared fixture world. The only raw model writes are
for what no service or page sets (the operator sets them): the practice's and
the organisation's names, the practice's phone, crisis line and problem-area
labels. Written:

- Alice's record (names, contacts, access needs) and her course, taken from
  the initial phase to the termination phase: inventory, life events,
  medication, formulation, focus, goals, contract, circle, sessions with
  techniques and a process note, experiments and Alice's reports of them,
  a changed plan and an overridden gate, a completed progress review, an
  unsaved draft, questionnaires (a practice's own instrument, every text of
  it a payload, and licensed item text) with a correction, and a risk alert
  acknowledged with a note;
- what Alice types in the portal: mood diary, experiment reports, messages
  (with an attachment), a change request for an appointment;
- her safety plan, the practice's crisis resources and reply-time statement;
- a group programme led by Fay and supervised by Sam: programme, group and
  member names and phones, a referral note, pre-group notes, group session
  notes, member tasks, a dropped member's reason, a fidelity comment, a
  supervision note; the first member has a portal account;
- a staff member, a pending invitation and an API token named with payloads.

`written` maps a label ("client.given_name") to the exact value stored.
"""

from __future__ import annotations

import datetime
import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from openipt.accounts.models import User
from openipt.accounts.services import invitation_accept_new_account, invitation_create
from openipt.api.models import ApiToken
from openipt.api.services import api_token_create
from openipt.appointments.models import Appointment
from openipt.appointments.services.appointments import appointment_create
from openipt.appointments.services.requests import appointment_change_request
from openipt.courses.models import (
    Course,
    Experiment,
    ExperimentStatus,
    InventoryPerson,
    Session,
)
from openipt.courses.services.circle import circle_version_save
from openipt.courses.services.client_portal import experiment_report
from openipt.courses.services.course import (
    course_advance_phase,
    course_change_plan,
    course_mark_task,
)
from openipt.courses.services.drafts import draft_save
from openipt.courses.services.experiments import experiment_assign, experiment_review
from openipt.courses.services.formulation import (
    FocusChoice,
    contract_propose,
    contract_record_agreement,
    focus_set,
    formulation_save,
    goal_add,
)
from openipt.courses.services.inventory import (
    TEXT_FIELDS as PERSON_TEXT_FIELDS,
)
from openipt.courses.services.inventory import (
    inventory_person_add,
    inventory_person_update,
)
from openipt.courses.services.medication import (
    MedicationData,
    medication_add,
    medication_change_add,
)
from openipt.courses.services.sessions import (
    SessionContent,
    TechniqueEntry,
    session_record,
    session_update,
)
from openipt.courses.services.termination import (
    ItemRating,
    termination_review_open,
    termination_review_save,
)
from openipt.courses.services.timeline import life_event_add
from openipt.diary.services import diary_entry_save
from openipt.groups.models import Group, GroupMember, GroupSession, Programme, Screening
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
from openipt.measures.engine import definition_to_json, shipped
from openipt.measures.models import MeasureAdministration
from openipt.measures.services import (
    licensed_text_load,
    measure_correct,
    measure_request_create,
    measure_submit,
    practice_client_scores_set,
    practice_instrument_upload,
)
from openipt.messaging.models import Message
from openipt.messaging.services import message_send
from openipt.practice.models import Client, Practice, Role
from openipt.practice.services import care_team_add, client_record_viewed, client_update
from openipt.safety.models import AlertAction, CrisisResource, RiskAlert
from openipt.safety.services import (
    PlanSections,
    crisis_resource_create,
    risk_alert_acknowledge,
    safety_plan_save,
    safety_settings_update,
)
from tests.factories import TEST_PASSWORD
from tests.world import World

# --- the corpus ------------------------------------------------------------------------------

# Every way we know of to make a page run or load something, or a spreadsheet
# compute something, if a value is not escaped where it is shown. A payload
# that runs sets window.__xss and opens a dialog (the browser test watches
# both); one that loads something names 127.0.0.1:9 or a local file.
REMOTE_IMAGE = '<img src="http://127.0.0.1:9/x">'
LOCAL_FILE = "<link rel=stylesheet href=file:///etc/passwd>"
PAYLOADS: tuple[str, ...] = (
    '<script>window.__xss=1;alert("xss")</script>',
    '<img src=x onerror="window.__xss=1;alert(1)">',
    '"><script>window.__xss=1;alert(1)</script>',
    "' onmouseover='window.__xss=1;alert(1)' data-xss='1",
    '" autofocus onfocus="window.__xss=1;alert(1)" data-xss="1',
    '<svg onload="window.__xss=1;alert(1)"></svg>',
    '<a href="javascript:window.__xss=1;alert(1)">open me</a>',
    "</textarea></title><script>window.__xss=1;alert(1)</script>",
    REMOTE_IMAGE,
    LOCAL_FILE,
    '<iframe src="javascript:window.__xss=1;alert(1)"></iframe>',
    '<div hx-get="/xss-htmx/" hx-trigger="load">htmx</div>',
    "<xss-probe>custom element</xss-probe>",
    "<style>body{display:none}</style>",
    '<base href="http://127.0.0.1:9/">',
    '<meta http-equiv="refresh" content="0;url=javascript:alert(1)">',
    "tpl{{7*7}}tpl {% debug %} ${7*7} #{7*7} {{ request.user }}",
    '=HYPERLINK("http://x","y")',
    "+cmd|' /C calc'!A0",
    "-1+1",
    "@SUM(1)",
    "&lt;script&gt;already escaped&lt;/script&gt;",
    "javascript:alert(1)",
)
# Matplotlib reads text between two dollar signs as TeX: the charts must print it.
MATHTEXT = r"mpl $\frac$ ${7*7}$ $x^$"
# Two lines, for the fields shown with their line breaks.
MULTILINE = "first line\n<script>window.__xss=1;alert(1)</script> second line\n<b>third</b>"
# What would show on a page if a template expression in a value were evaluated.
EVALUATED = ("tpl49tpl", "${49}", "#{49}")
# Substrings that only a payload carries: never in a URL attribute, a script or a style.
SIGNATURES = ("__xss", "127.0.0.1:9", "/etc/passwd", "xss-htmx", "xss-probe")
FORMULA_PAYLOADS = ('=HYPERLINK("http://x","y")', "+cmd|' /C calc'!A0", "-1+1", "@SUM(1)")
# A process note: for the clinical team only, never on a client's page or in their export.
PROCESS_NOTE_LABEL = "process_note.text"


@dataclass
class Corpus:
    """Hands out payloads in turn, each made unique with a tag, and remembers where each went."""

    written: dict[str, str] = field(default_factory=dict)
    _turn: int = 0

    def value(self, label: str, *, limit: int = 10_000, payload: str | None = None) -> str:
        assert label not in self.written, label
        tag = f" ~k{len(self.written):03d}"
        if payload is None:
            for step in range(len(PAYLOADS)):
                candidate = PAYLOADS[(self._turn + step) % len(PAYLOADS)]
                if len(candidate) + len(tag) <= limit:
                    self._turn += step + 1
                    payload = candidate
                    break
            else:  # pragma: no cover - the corpus has short payloads
                raise AssertionError(f"no payload fits {label} ({limit} characters)")
        text = payload + tag
        assert len(text) <= limit, (label, text)
        self.written[label] = text
        return text


@dataclass
class XssWorld:
    world: World
    corpus: Corpus
    course: Course
    person: InventoryPerson
    other_person: InventoryPerson
    sessions: list[Session]
    experiments: list[Experiment]
    administration: MeasureAdministration
    alert: RiskAlert
    appointment: Appointment
    message_from_client: Message
    crisis_resource: CrisisResource
    programme: Programme
    group: Group
    group_session: GroupSession
    members: list[GroupMember]
    dropped: GroupMember
    referral: Screening
    member_user: User  # the first member's portal account
    payload_staff: User
    api_token: ApiToken
    instrument_code: str

    @property
    def written(self) -> dict[str, str]:
        return self.corpus.written

    def values(self, *prefixes: str) -> dict[str, str]:
        """The written values whose label starts with one of `prefixes`."""
        return {k: v for k, v in self.written.items() if k.startswith(prefixes)}


LOCAL_INSTRUMENT = "xss-check"


def _local_instrument(corpus: Corpus) -> dict[str, Any]:
    """A practice's own two-item questionnaire whose every text is a payload."""
    data = definition_to_json(shipped("phq2"))
    data.update(
        {
            "code": LOCAL_INSTRUMENT,
            "version": "1.0",
            "title": corpus.value("instrument.title", payload=MATHTEXT),
            "shortTitle": corpus.value("instrument.short_title", limit=60),
            "stem": corpus.value("instrument.stem"),
            "recallPeriod": corpus.value("instrument.recall_period"),
            "licenceNotice": corpus.value("instrument.licence_notice"),
            "loincPanel": None,
            "loincTotal": None,
        }
    )
    for index, item in enumerate(data["item"], start=1):
        item["linkId"] = f"xss-{index}"
        item["loinc"] = None
        item["text"] = corpus.value(f"instrument.item_{index}.text")
        for option in item["answerOption"]:
            option["display"] = corpus.value(f"instrument.item_{index}.option_{option['ordinal']}")
    for band in data["bands"]:
        band["label"] = corpus.value(
            f"instrument.band_{band['code']}.label",
            limit=80,
            payload=MATHTEXT if band["code"] == "positive" else None,
        )
    return data


def _write_client(w: World, c: Corpus) -> Client:
    client = w.client_1
    data = {
        "given_name": c.value("client.given_name", limit=100, payload=PAYLOADS[2]),
        "family_name": c.value("client.family_name", limit=100, payload=PAYLOADS[3]),
        "preferred_name": c.value("client.preferred_name", limit=100, payload=PAYLOADS[4]),
        "pronouns": c.value("client.pronouns", limit=50, payload="<b>they</b>"),
        "phone": c.value("client.phone", limit=50, payload=FORMULA_PAYLOADS[0]),
        "address": c.value("client.address", payload=MULTILINE),
        "emergency_contact_name": c.value("client.emergency_contact_name", limit=200),
        "emergency_contact_relationship": c.value(
            "client.emergency_contact_relationship", limit=100
        ),
        "emergency_contact_phone": c.value(
            "client.emergency_contact_phone", limit=50, payload="@SUM(1)"
        ),
        "access_needs": c.value("client.access_needs", payload=MULTILINE),
    }
    return client_update(
        actor=w.clinician, client=client, data=data, expected_version=client.version
    )


def _person_data(c: Corpus, label: str, relationship: str, ring: int) -> dict[str, Any]:
    data: dict[str, Any] = {
        "name": c.value(f"{label}.name", limit=200, payload=PAYLOADS[5]),
        "relationship": relationship,
        "ring": ring,
        "problem_area": "role_transition",
    }
    for name in PERSON_TEXT_FIELDS:
        data[name] = c.value(f"{label}.{name}", limit=4000)
    return data


def _write_course(w: World, c: Corpus) -> tuple[Course, list[Session], list[Experiment]]:
    clinician, course = w.clinician, w.course_1
    person = inventory_person_update(
        actor=clinician,
        course=course,
        person=w.person_1,
        data=_person_data(c, "person", "partner", 1),
        expected_version=w.person_1.version,
    )
    other = inventory_person_add(
        actor=clinician,
        course=course,
        data={
            "name": c.value("other_person.name", limit=200, payload=PAYLOADS[7]),
            "relationship": "friend",
            "ring": 2,
        },
    )
    life_event_add(
        actor=clinician,
        course=course,
        data={
            "date": course.start_date + datetime.timedelta(days=2),
            "kind": "job",
            "title": c.value("life_event.title", limit=200, payload=PAYLOADS[1]),
            "description": c.value("life_event.description"),
            "people": [str(person.public_id)],
            "linked_to_onset": False,
        },
    )
    medication = medication_add(
        actor=clinician,
        course=course,
        data=MedicationData(
            agent=c.value("medication.agent", limit=100),
            dose=c.value("medication.dose", limit=100),
            prescriber=c.value("medication.prescriber", limit=200),
            start_date=course.start_date,
            side_effects=c.value("medication.side_effects"),
            notes=c.value("medication.notes"),
        ),
    )
    medication_change_add(
        actor=clinician,
        medication=medication,
        date=course.start_date + datetime.timedelta(days=3),
        dose=c.value("medication_change.dose", limit=100),
        note=c.value("medication_change.note"),
    )
    for task in ("diagnosis_given", "sick_role_given", "inventory"):
        course_mark_task(actor=clinician, course=course, task=task)
    circle_version_save(
        actor=clinician, course=course, label=c.value("circle_version.label", limit=100)
    )
    formulation_save(
        actor=clinician, course=course, text=c.value("formulation.text", payload=MULTILINE)
    )
    first = focus_set(
        actor=clinician,
        course=course,
        choices=[FocusChoice(area="role_dispute", detail="A first idea", dispute_person=person)],
    )
    assert first
    focus = focus_set(
        actor=clinician,
        course=course,
        choices=[
            FocusChoice(
                area="role_transition",
                detail=c.value("focus.detail"),
                old_role=c.value("focus.old_role"),
                new_role=c.value("focus.new_role"),
            )
        ],
        reason=c.value("focus.end_reason"),
    )
    goal_add(
        actor=clinician,
        course=course,
        text=c.value("goal.text", payload=REMOTE_IMAGE),
        focus_area=focus[0],
        rating_at_start=3,
    )
    goal_add(
        actor=clinician,
        course=course,
        text=c.value("goal_2.text", payload=LOCAL_FILE),
        rating_at_start=4,
    )
    contract = contract_propose(
        actor=clinician,
        course=course,
        sessions=16,
        frequency="weekly",
        session_minutes=50,
        notes="As discussed.",
    )
    contract_record_agreement(actor=clinician, contract=contract)
    contract_propose(
        actor=clinician,
        course=course,
        sessions=5,
        frequency="weekly",
        session_minutes=50,
        notes=c.value("contract.notes"),
        reason=c.value("contract.renegotiation_reason"),
    )
    course = course_change_plan(
        actor=clinician,
        course=course,
        planned_sessions=5,
        initial_last=1,
        middle_last=3,
        reason=c.value("plan_change.reason"),
    )
    session_1 = session_update(
        actor=clinician,
        session=w.session_1,
        expected_version=w.session_1.version,
        content=SessionContent(
            date=w.session_1.date,
            interval_history=c.value("session.interval_history", payload=MULTILINE),
            mood_event_links=c.value("session.mood_event_links"),
            problem_area_work=c.value("session.problem_area_work"),
            summary=c.value("session.summary"),
            techniques=[
                TechniqueEntry(
                    code="communication_analysis",
                    details={
                        "what_said": c.value("technique.what_said"),
                        "what_meant": c.value("technique.what_meant"),
                    },
                )
            ],
            process_note=c.value(PROCESS_NOTE_LABEL),
        ),
        expected_note_version=None,
    )
    course = course_advance_phase(
        actor=clinician, course=course, override_reason=c.value("phase.override_reason")
    )
    sessions = [session_1]
    for number in (2, 3):
        sessions.append(
            session_record(
                actor=clinician,
                course=course,
                number=number,
                content=SessionContent(date=course.start_date + datetime.timedelta(weeks=number)),
            )
        )
    reported = experiment_assign(
        actor=clinician,
        session=sessions[1],
        description=c.value("experiment.description", payload=MULTILINE),
        problem_area="role_transition",
        person=person,
    )
    experiment_report(
        actor=w.client_user_1,
        experiment=reported,
        outcome=ExperimentStatus.DONE,
        what_happened=c.value("experiment.report_what_happened"),
        what_was_said=c.value("experiment.report_what_was_said"),
        how_it_felt=c.value("experiment.report_how_it_felt"),
    )
    reported = experiment_review(
        actor=clinician,
        experiment=reported,
        status=ExperimentStatus.REVIEWED,
        review_note=c.value("experiment.review_note"),
        in_session=sessions[2],
    )
    open_one = experiment_assign(
        actor=clinician,
        session=sessions[2],
        description=c.value("experiment_open.description"),
        person=other,
    )
    course = course_advance_phase(actor=clinician, course=course)
    sessions.append(
        session_record(
            actor=clinician,
            course=course,
            number=4,
            content=SessionContent(date=course.start_date + datetime.timedelta(weeks=4)),
        )
    )
    course_mark_task(actor=clinician, course=course, task="ending_raised")
    review = termination_review_open(actor=clinician, course=course)
    termination_review_save(
        actor=clinician,
        review=review,
        expected_version=review.version,
        texts={
            "feelings_about_ending": c.value("review.feelings_about_ending"),
            "warning_signs": c.value("review.warning_signs", payload=MULTILINE),
            "coping_plan": c.value("review.coping_plan"),
            "support_contacts": c.value("review.support_contacts"),
            "next_step_detail": c.value("review.next_step_detail"),
        },
        outcome_category="responder",
        next_step="end",
        ratings={
            item.pk: ItemRating(
                rating_at_start=2, rating_now=7, comment=c.value(f"review.item_{n}.comment")
            )
            for n, item in enumerate(review.items.order_by("id"), start=1)
        },
        complete=True,
    )
    # Typed into the next session's summary and never saved: restored into the form.
    draft_save(
        actor=clinician,
        course=course,
        key="session:new:summary",
        text=c.value("draft.text", payload=PAYLOADS[7]),
    )
    course.refresh_from_db()
    return course, sessions, [reported, open_one]


def _write_measures(w: World, c: Corpus, course: Course) -> tuple[MeasureAdministration, RiskAlert]:
    practice_instrument_upload(
        actor=w.admin, practice=w.practice_a, definition_json=json.dumps(_local_instrument(c))
    )
    practice_client_scores_set(actor=w.admin, practice=w.practice_a, allowed=True)
    measure_submit(
        actor=w.clinician,
        course=course,
        instrument_code=LOCAL_INSTRUMENT,
        answers={"xss-1": 2, "xss-2": 1},
        administered_at=timezone.now() - datetime.timedelta(days=2),
    )
    phq9 = measure_submit(
        actor=w.clinician,
        course=course,
        instrument_code="phq9",
        answers={f"phq9-{n}": 1 for n in range(1, 10)},
        administered_at=timezone.now() - datetime.timedelta(days=1),
    )
    corrected = measure_correct(
        actor=w.clinician,
        administration=phq9,
        answers={f"phq9-{n}": 2 if n < 9 else 1 for n in range(1, 10)},
        reason=c.value("measure.correction_reason"),
    )
    measure_request_create(actor=w.clinician, course=course, instrument_code=LOCAL_INSTRUMENT)
    # Item text a licensed practice loads for an instrument we may not ship.
    texts = {"stem": c.value("licensed_text.stem")}
    for item in shipped("epds").items:
        texts[item.link_id] = c.value(f"licensed_text.{item.link_id}")
        for option in item.options:
            texts[f"{item.link_id}:{option.code}"] = f"Answer {option.ordinal}"
    licensed_text_load(
        actor=w.admin, practice=w.practice_a, instrument_code="epds", texts_json=texts
    )
    measure_request_create(actor=w.clinician, course=course, instrument_code="epds")
    alert = RiskAlert.objects.filter(client=w.client_1).order_by("-created_at").first()
    assert alert is not None, "a positive item 9 raises an alert"
    alert = risk_alert_acknowledge(
        actor=w.clinician,
        alert=alert,
        action=AlertAction.OTHER,
        note=c.value("alert.action_note"),
    )
    return corrected, alert


def _write_portal(
    w: World, c: Corpus, course: Course, people: Sequence[InventoryPerson]
) -> tuple[Message, Appointment]:
    alice, client = w.client_user_1, w.client_1
    for days_ago, label in ((1, "diary.note"), (2, "diary.note_2")):
        diary_entry_save(
            actor=alice,
            client=client,
            day=timezone.localdate() - datetime.timedelta(days=days_ago),
            mood=4,
            note=c.value(label, payload=MULTILINE if days_ago == 1 else None),
            people_ids=[p.public_id for p in people],
        )
    from_client = message_send(
        actor=alice,
        client=client,
        body=c.value("message.from_client", payload=MULTILINE),
        idempotency_key="xss-message-1",
        attachment=SimpleUploadedFile(
            # No folder separator and no double quote: an upload's name keeps neither.
            c.value(
                "attachment.original_name",
                limit=100,
                payload="<img src=x onerror=window.__xss=1;alert(1)>",
            ),
            b"<html><script>window.__xss=1;alert(1)</script></html>\n",
            content_type="text/html",
        ),
    )
    message_send(
        actor=w.clinician,
        client=client,
        body=c.value("message.from_clinician"),
        idempotency_key="xss-message-2",
    )
    safety_plan_save(
        actor=w.clinician,
        client=client,
        sections=PlanSections(
            warning_signs=c.value("safety_plan.warning_signs", payload=MULTILINE),
            internal_coping=c.value("safety_plan.internal_coping"),
            distraction=c.value("safety_plan.distraction"),
            people_to_ask=c.value("safety_plan.people_to_ask"),
            professionals=c.value("safety_plan.professionals"),
            safe_environment=c.value("safety_plan.safe_environment"),
        ),
        base_version=0,
        reviewed_with_client=True,
    )
    starts_at = (timezone.now() + datetime.timedelta(days=3)).replace(
        minute=0, second=0, microsecond=0
    )
    appointment = appointment_create(
        actor=w.clinician,
        client=client,
        course=course,
        starts_at=starts_at,
        ends_at=starts_at + datetime.timedelta(minutes=50),
        kind="in_person",
        location=c.value("appointment.location", limit=200),
    )
    appointment_change_request(
        actor=alice,
        appointment=appointment,
        kind="reschedule",
        note=c.value("appointment_request.note"),
    )
    return from_client, appointment


def _write_practice(w: World, c: Corpus) -> tuple[CrisisResource, User, ApiToken]:
    practice: Practice = w.practice_a
    safety_settings_update(
        actor=w.admin,
        practice=practice,
        ack_deadline_hours=4,
        on_call=None,
        reply_time_statement=c.value("safety_settings.reply_time_statement", payload=MULTILINE),
    )
    resource = crisis_resource_create(
        actor=w.admin,
        practice=practice,
        language="en",
        name=c.value("crisis_resource.name", limit=120),
        contact=c.value("crisis_resource.contact", limit=120),
        description=c.value("crisis_resource.description"),
        order=0,
    )
    # A practice's and an organisation's names, contact and crisis line and the
    # practice's own problem-area labels have no service and no page: the operator
    # sets them. These are the raw writes of this module.
    practice.name = c.value("practice.name", limit=200, payload=f"{MATHTEXT} {PAYLOADS[3]}")
    practice.contact_phone = c.value("practice.contact_phone", limit=50, payload="+cmd")
    practice.crisis_line = c.value("practice.crisis_line", limit=100, payload=PAYLOADS[5])
    practice.problem_area_labels = {
        "role_transition": c.value("practice.problem_area_label.role_transition", limit=200),
        "role_dispute": c.value(
            "practice.problem_area_label.role_dispute", limit=200, payload=FORMULA_PAYLOADS[0]
        ),
    }
    practice.save(update_fields=["name", "contact_phone", "crisis_line", "problem_area_labels"])
    organisation = w.organisation
    organisation.name = c.value("organisation.name", limit=200, payload=PAYLOADS[2])
    organisation.save(update_fields=["name"])
    invitation_create(
        actor=w.admin,
        practice=practice,
        email="pending.person@example.test",
        role=Role.CLINICIAN,
        base_url="http://testserver/",
        full_name=c.value("invitation.full_name", limit=200),
    )
    _, invitation_token = invitation_create(
        actor=w.admin,
        practice=practice,
        email="payload.staff@example.test",
        role=Role.CLINICIAN,
        base_url="http://testserver/",
    )
    staff = invitation_accept_new_account(
        token=invitation_token,
        full_name=c.value("staff.full_name", limit=200, payload=PAYLOADS[2]),
        password=TEST_PASSWORD,
    )
    membership = staff.memberships.get(practice=practice, role=Role.CLINICIAN)
    care_team_add(actor=w.admin, client=w.client_1, membership=membership)
    client_record_viewed(actor=staff, client=w.client_1)
    api_token, _ = api_token_create(actor=w.clinician, name=c.value("api_token.name", limit=100))
    return resource, staff, api_token


def _phq9(total_pattern: Sequence[int]) -> dict[str, int]:
    return {f"phq9-{n}": value for n, value in enumerate(total_pattern, start=1)}


def _write_groups(
    w: World, c: Corpus
) -> tuple[Programme, Group, GroupSession, list[GroupMember], GroupMember, Screening, User]:
    practice, fay = w.practice_a, w.facilitator
    programme = programme_create(
        actor=w.programme_manager,
        organisation=w.organisation,
        name=c.value("programme.name", limit=200),
        variant_code="group_who",
        sites=[practice],
        min_group_size=2,
    )
    supervision_assign(actor=w.admin, practice=practice, supervisor=w.supervisor, facilitator=fay)
    group = group_create(
        actor=fay,
        programme=programme,
        practice=practice,
        name=c.value("group.name", limit=120, payload=PAYLOADS[4]),
    )
    born = datetime.date(1990, 5, 17)
    members: list[GroupMember] = []
    for n in range(3):
        screening = screening_record(
            actor=fay,
            programme=programme,
            practice=practice,
            given_name=c.value(f"screening_{n}.given_name", limit=100),
            family_name=c.value(f"screening_{n}.family_name", limit=100),
            date_of_birth=born,
            gender="woman",
            phone=c.value(f"screening_{n}.phone", limit=30, payload="-1+1"),
            answers=_phq9((2, 2, 2, 2, 2, 2, 1, 1, 0)),
        )
        member = GroupMember.objects.get(screening=screening)
        member = member_pre_group_record(
            actor=fay,
            member=member,
            held_at=timezone.now() - datetime.timedelta(days=10),
            symptoms=c.value(
                f"member_{n}.pre_group_symptoms", payload=MULTILINE if n == 0 else None
            ),
            onset=c.value(f"member_{n}.pre_group_onset"),
            hopes=c.value(f"member_{n}.pre_group_hopes"),
            problem_area="role_dispute",
            version=member.version,
        )
        members.append(member)
    referral = screening_record(
        actor=fay,
        programme=programme,
        practice=practice,
        given_name="Rhea",
        family_name="Referred",
        date_of_birth=born,
        gender="woman",
        answers=_phq9((2, 2, 2, 2, 2, 1, 1, 1, 0)),
        exclusions=["psychosis"],
        referral_note=c.value("screening.referral_note"),
    )
    for member in members[:2]:
        member_place(actor=fay, member=member, group=group)
    dropped = member_drop(actor=fay, member=members[2], reason=c.value("member.drop_reason"))
    group = group_start(
        actor=fay, group=group, started_on=timezone.localdate() - datetime.timedelta(days=7)
    )
    result = group_session_record(
        actor=fay,
        group=group,
        number=1,
        held_on=timezone.localdate() - datetime.timedelta(days=7),
        entries=[
            MemberEntry(
                member_public_id=member.public_id,
                present=True,
                answers=_phq9((2, 2, 2, 1, 1, 1, 1, 1, 0)),
                task_text=c.value(f"member_task_{n}.text", limit=1000),
                problem_area="role_dispute",
            )
            for n, member in enumerate(members[:2])
        ],
        notes=c.value("group_session.notes", payload=MULTILINE),
        self_fidelity=4,
        idempotency_key="xss-group-1",
    )
    session = result.session
    # The first member has a portal account: their card shows the group and their task.
    _, token = invitation_create(
        actor=w.admin,
        practice=practice,
        email="group.member@example.test",
        role=Role.CLIENT,
        base_url="http://testserver/",
        client=members[0].client,
    )
    member_user = invitation_accept_new_account(
        token=token,
        full_name=c.value("member_user.full_name", limit=200),
        password=TEST_PASSWORD,
    )
    fidelity_rate(
        actor=w.supervisor,
        session=session,
        rater="supervisor",
        score=4,
        comment=c.value("fidelity.comment", limit=1000),
    )
    supervision_note_add(
        actor=w.supervisor,
        facilitator=fay,
        practice=practice,
        text=c.value("supervision_note.text"),
        group=group,
    )
    return programme, group, session, members[:2], dropped, referral, member_user


def build_xss_world(w: World) -> XssWorld:
    c = Corpus()
    _write_client(w, c)
    course, sessions, experiments = _write_course(w, c)
    people = list(course.inventory.filter(removed_at__isnull=True).order_by("ring"))
    administration, alert = _write_measures(w, c, course)
    message, appointment = _write_portal(w, c, course, people)
    resource, staff, token = _write_practice(w, c)
    programme, group, group_session, members, dropped, referral, member_user = _write_groups(w, c)
    w.client_1.refresh_from_db()
    return XssWorld(
        world=w,
        corpus=c,
        course=course,
        person=people[0],
        other_person=people[1],
        sessions=sessions,
        experiments=experiments,
        administration=administration,
        alert=alert,
        appointment=appointment,
        message_from_client=message,
        crisis_resource=resource,
        programme=programme,
        group=group,
        group_session=group_session,
        members=members,
        dropped=dropped,
        referral=referral,
        member_user=member_user,
        payload_staff=staff,
        api_token=token,
        instrument_code=LOCAL_INSTRUMENT,
    )
