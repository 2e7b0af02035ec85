"""Promise 16: a stored-XSS corpus in every free-text field runs nowhere.

GIVEN the fixture world with a payload (script tags, event handlers,
`javascript:` URLs, SVG onload, quotes that break out of an attribute,
template expressions, spreadsheet formulas, URLs of another origin and of a
local file) written through the services into every free-text field that
clients and staff type (see tests/security/xss_world.py)
WHEN every role signs in and follows every link it is shown, and when the
course PDFs, the client's own export, the research CSV and the FHIR bulk
export are made
THEN no page holds an element or attribute that came from a payload, every
payload is shown somewhere as the literal text that was typed, no template
expression is evaluated, the PDFs print the payloads as text and fetch
nothing, the JSON and NDJSON exports carry them as data, and no cell of the
research CSV starts a formula.

The world is written once for the module (inside a transaction rolled back at
the end) and each role's crawl runs once; the tests read the crawls.
"""

from __future__ import annotations

import csv
import io
import json
import socket
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from django.db import transaction
from django.test import Client as HttpClient
from django.urls import reverse
from django.utils.html import escape
from pytest_django import DjangoDbBlocker

from openipt.accounts.models import User
from openipt.courses.services.inventory import TEXT_FIELDS as PERSON_TEXT_FIELDS
from openipt.fhir.export import export_practice
from openipt.reports.pdf import fetcher as pdf_fetcher
from openipt.reports.research.cells import FORMULA_STARTS, cell
from openipt.reports.research.csv_out import csv_lines
from tests.reports.pdf_helpers import pdf_text
from tests.security.inert import Crawl, crawl, inspect_html, squash
from tests.security.xss_world import (
    EVALUATED,
    FORMULA_PAYLOADS,
    LOCAL_FILE,
    MULTILINE,
    PAYLOADS,
    PROCESS_NOTE_LABEL,
    REMOTE_IMAGE,
    SIGNATURES,
    XssWorld,
    build_xss_world,
)
from tests.world import build_world

pytestmark = pytest.mark.django_db

ClientFor = Callable[[User | None], HttpClient]

# Written for the clinical team, and said to stay there (portal/export.py lists
# them, courses/services/drafts.py keeps a draft for its author alone): never on
# a page the client can open, never in their export.
CLINICAL_TEAM_ONLY = (
    PROCESS_NOTE_LABEL,
    "session.",
    "technique.",
    *(f"person.{name}" for name in PERSON_TEXT_FIELDS),
    "experiment.review_note",
    "alert.action_note",
    "supervision_note.text",
    "fidelity.comment",
    "draft.text",
)


@pytest.fixture(scope="module")
def xss(django_db_setup: None, django_db_blocker: DjangoDbBlocker) -> Iterator[XssWorld]:
    """The payload world, written once for the module and rolled back after it."""
    with django_db_blocker.unblock(), transaction.atomic():
        yield build_xss_world(build_world())
        transaction.set_rollback(True)


def _signed_in(user: User) -> HttpClient:
    # A view that raises is a 500 in the crawl's findings, not an exception that stops it.
    http = HttpClient(raise_request_exception=False)
    http.force_login(user, backend="allauth.account.auth_backends.AuthenticationBackend")
    return http


def _seeds(xss: XssWorld) -> list[str]:
    """Every page holding a payload, besides the home page: a page that no link
    leads to (a dropped member, a referred screening) is still visited."""
    w = xss.world
    course = {"public_id": xss.course.public_id}
    return [
        "/",
        reverse("clients:detail", kwargs={"public_id": w.client_1.public_id}),
        reverse("courses:overview", kwargs=course),
        reverse("courses:summary", kwargs=course),
        reverse("safety:alert_detail", kwargs={"public_id": xss.alert.public_id}),
        reverse("messaging:thread", kwargs={"client_id": w.client_1.public_id}),
        reverse("groups:group_detail", kwargs={"public_id": xss.group.public_id}),
        reverse("groups:session_detail", kwargs={"public_id": xss.group_session.public_id}),
        reverse("groups:member_detail", kwargs={"public_id": xss.dropped.public_id}),
        reverse("groups:screening_detail", kwargs={"public_id": xss.referral.public_id}),
        reverse("groups:supervision_queue"),
        reverse("groups:facilitator_detail", kwargs={"public_id": w.facilitator.public_id}),
        reverse("portal:data_copy"),
        reverse("safety:crisis"),
    ]


@pytest.fixture(scope="module")
def crawls(xss: XssWorld, django_db_blocker: DjangoDbBlocker) -> dict[str, Crawl]:
    """Each role's walk through the pages it is shown links to, once for the module."""
    w = xss.world
    people = {
        "clinician": w.clinician,
        "supervisor": w.supervisor,
        "facilitator": w.facilitator,
        "admin": w.admin,
        "programme_manager": w.programme_manager,
        "client": w.client_user_1,
        "group_member": xss.member_user,
    }
    with django_db_blocker.unblock():
        return {role: crawl(_signed_in(user), _seeds(xss)) for role, user in people.items()}


def _labels_shown(crawls: dict[str, Crawl], xss: XssWorld) -> dict[str, list[str]]:
    return {
        label: [role for role, walk in crawls.items() if walk.shown(value)]
        for label, value in xss.written.items()
    }


# --- pages -------------------------------------------------------------------------------------


def test_each_role_walks_its_pages_and_none_fails(crawls: dict[str, Crawl]) -> None:
    """A payload never turns a page into a server error, and the walks really walked."""
    minimum = {"clinician": 50, "supervisor": 40, "admin": 30, "client": 15, "facilitator": 10}
    for role, walk in crawls.items():
        assert walk.failures == [], role
        assert len(walk.pages) >= minimum.get(role, 3), (role, [p.url for p in walk.pages])


def test_no_page_holds_an_element_or_attribute_made_by_a_payload(
    crawls: dict[str, Crawl],
) -> None:
    """No script but our static files, no frame, base, refresh or foreign stylesheet,
    no on* attribute, no javascript: URL, no URL naming a payload's address: on any
    page or SVG chart any role can reach."""
    problems = [f"{role} {problem}" for role, walk in crawls.items() for problem in walk.problems]
    assert problems == []


def test_every_payload_is_shown_somewhere_exactly_as_typed(
    crawls: dict[str, Crawl], xss: XssWorld
) -> None:
    """Each stored value reaches a page as text, character for character: it was
    escaped, not interpreted (an interpreted `<b>` or `<script>` would be missing
    from the text), and not silently dropped either."""
    shown = _labels_shown(crawls, xss)
    assert [label for label, roles in shown.items() if not roles] == []


def test_a_template_expression_in_a_value_is_shown_and_never_evaluated(
    crawls: dict[str, Crawl], xss: XssWorld
) -> None:
    """`{{7*7}}`, `${7*7}`, `#{7*7}` and `{% debug %}` are shown as typed; "49" never
    appears where one of them was."""
    templated = {k: v for k, v in xss.written.items() if "{{7*7}}" in v}
    assert templated, "the corpus writes template expressions"
    for label, value in templated.items():
        assert any(walk.shown(value) for walk in crawls.values()), label
    for role, walk in crawls.items():
        text = walk.text()
        assert [e for e in EVALUATED if e in text] == [], role


def test_svg_charts_carry_a_payload_title_as_text(crawls: dict[str, Crawl], xss: XssWorld) -> None:
    """The practice's own instrument is charted under its title (a payload): the
    chart is well-formed SVG with the title as text and nothing that runs."""
    title = xss.written["instrument.title"]
    charts = [
        page
        for walk in crawls.values()
        for page in walk.pages
        if page.content_type == "image/svg+xml" and xss.instrument_code in page.url
    ]
    assert charts, "the instrument's chart was reached"
    for page in charts:
        assert page.inspection.problems == [], page.url
    assert any(page.inspection.shows(title) for page in charts)


def test_the_client_never_sees_what_was_written_for_the_clinical_team(
    crawls: dict[str, Crawl], xss: XssWorld
) -> None:
    private = xss.values(*CLINICAL_TEAM_ONLY)
    assert PROCESS_NOTE_LABEL in private
    seen = [label for label, value in private.items() if crawls["client"].shown(value)]
    assert seen == []
    # The client's walk did show their own payloads: it is not empty by accident.
    assert crawls["client"].shown(xss.written["diary.note"])


def test_a_group_member_sees_their_own_group_and_task_and_nothing_of_the_others(
    crawls: dict[str, Crawl], xss: XssWorld
) -> None:
    """A group member with a portal account sees their group's name and their own task,
    shown as text; not another member's task, name or pre-group notes, nor the
    facilitator's session notes."""
    walk, written = crawls["group_member"], xss.written
    assert walk.shown(written["group.name"])
    assert walk.shown(written["member_task_0.text"])
    others = xss.values("member_task_1", "screening_1.", "member_1.", "group_session.notes")
    assert others
    assert [label for label, value in others.items() if walk.shown(value)] == []


def test_messages_that_repeat_a_payload_after_a_save_stay_text(
    xss: XssWorld, client_for: ClientFor
) -> None:
    """A confirmation naming what was changed (a person moved on the circle, a token
    revoked) repeats what someone typed: it is shown as text too."""
    http = client_for(xss.world.clinician)
    course = {"public_id": xss.course.public_id}
    moved = http.post(
        reverse("courses:circle_move", kwargs={**course, "person_id": xss.person.public_id}),
        {"ring": "3"},
        follow=True,
    )
    revoked = http.post(
        reverse("tokens:revoke", kwargs={"public_id": xss.api_token.public_id}), follow=True
    )
    for response, label, tail in (
        (moved, "person.name", " moved to ring 3."),
        (revoked, "api_token.name", "” was revoked"),
    ):
        assert response.status_code == 200
        page = inspect_html(response.content.decode())
        assert page.problems == []
        assert page.shows(xss.written[label] + tail), label


# --- the checks themselves ---------------------------------------------------------------------

# Payloads that are markup in a text context, and those that close an attribute.
MARKUP = [p for p in (*PAYLOADS, MULTILINE) if "<" in p or "&" in p]
ATTRIBUTE_BREAKERS = [p for p in PAYLOADS if p.startswith(('"', "'"))]


@pytest.mark.parametrize("payload", MARKUP)
def test_the_page_check_catches_the_payload_left_unescaped_in_text(payload: str) -> None:
    """Left raw, each payload is either an element the check reports or missing from the
    text; escaped, it is plain text shown exactly."""
    raw = inspect_html(f"<main><p>{payload}</p></main>")
    assert raw.problems or not raw.shows(payload)
    escaped = inspect_html(f"<main><p>{escape(payload)}</p></main>")
    assert escaped.problems == [] and escaped.shows(payload)


@pytest.mark.parametrize("payload", ATTRIBUTE_BREAKERS)
def test_the_page_check_catches_the_payload_left_unescaped_in_an_attribute(payload: str) -> None:
    quote = payload[0]
    raw = inspect_html(f"<main><input value={quote}{payload}{quote}></main>")
    assert raw.problems
    escaped = inspect_html(f'<main><input value="{escape(payload)}"></main>')
    assert escaped.problems == []


# --- an attachment -----------------------------------------------------------------------------


def test_an_html_attachment_downloads_as_inert_plain_text(
    xss: XssWorld, client_for: ClientFor
) -> None:
    """A client attached a web page named with a payload: it is sent back as plain
    text, never sniffed, as a download whose name cannot break the header."""
    attachment = xss.message_from_client.attachment
    url = reverse("messaging:attachment", kwargs={"public_id": attachment.public_id})
    response = client_for(xss.world.clinician).get(url)
    assert response.status_code == 200
    assert response["Content-Type"] == "text/plain; charset=utf-8"
    assert response["X-Content-Type-Options"] == "nosniff"
    disposition = response["Content-Disposition"]
    assert disposition.startswith("attachment;")
    assert "\r" not in disposition and "\n" not in disposition
    assert response.getvalue().startswith(b"<html><script>")


# --- PDFs --------------------------------------------------------------------------------------


@pytest.fixture
def fetched(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Every URL WeasyPrint asks for while a test renders; any socket fails the test."""
    urls: list[str] = []
    original = pdf_fetcher.LocalOnlyFetcher.fetch

    def recording(self: pdf_fetcher.LocalOnlyFetcher, url: str, *args: Any, **kwargs: Any) -> Any:
        urls.append(url)
        return original(self, url, *args, **kwargs)

    def refuse(*args: Any, **kwargs: Any) -> None:
        raise AssertionError("a PDF rendering tried to open a network connection")

    monkeypatch.setattr(pdf_fetcher.LocalOnlyFetcher, "fetch", recording)
    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    return urls


PDF_LABELS = {
    "letter": ("client.given_name", "client.address", "formulation.text", "staff.full_name"),
    "progress": ("client.family_name", "focus.detail", "instrument.title"),
    "termination": (
        "focus.detail",
        "review.warning_signs",
        "review.coping_plan",
        "review.item_1.comment",
    ),
    "portfolio": ("client.preferred_name", "formulation.text", "focus.detail"),
}


def _flat(text: str) -> str:
    # pdftotext -layout breaks long lines where the PDF does: compare without white space.
    return "".join(text.split())


@pytest.mark.parametrize("kind", sorted(PDF_LABELS))
def test_course_pdfs_print_payloads_as_text_and_fetch_nothing(
    kind: str, xss: XssWorld, client_for: ClientFor, fetched: list[str]
) -> None:
    """`<img src="http://127.0.0.1:9/x">` and `<link … href=file:///etc/passwd>` are the
    two goals, on every report: never requested (WeasyPrint would ask its fetcher for
    both if they were markup), printed as text."""
    url = reverse("reports:course_pdf", kwargs={"public_id": xss.course.public_id, "kind": kind})
    response = client_for(xss.world.clinician).get(url)
    assert response.status_code == 200, response.content[:300]
    own = f"{pdf_fetcher.BASE_URL}static/"
    assert [u for u in fetched if not u.startswith(("data:", own))] == []
    text = _flat(pdf_text(bytes(response.content)))
    assert _flat(xss.written["goal.text"]).startswith(_flat(REMOTE_IMAGE))
    assert _flat(xss.written["goal_2.text"]).startswith(_flat(LOCAL_FILE))
    for label in ("goal.text", "goal_2.text", *PDF_LABELS[kind]):
        assert _flat(xss.written[label]) in text, label
    assert _flat(xss.written[PROCESS_NOTE_LABEL]) not in text


# --- the client's own export -------------------------------------------------------------------


def _strings(data: object) -> Iterator[str]:
    if isinstance(data, str):
        yield data
    elif isinstance(data, dict):
        for key, value in data.items():
            yield str(key)
            yield from _strings(value)
    elif isinstance(data, list):
        for value in data:
            yield from _strings(value)


MY_DATA_LABELS = (
    "client.given_name",
    "client.family_name",
    "client.preferred_name",
    "client.pronouns",
    "client.address",
    "client.access_needs",
    "client.emergency_contact_name",
    "person.name",
    "formulation.text",
    "goal.text",
    "experiment.description",
    "experiment.report_how_it_felt",
    "diary.note",
    "message.from_client",
    "message.from_clinician",
    "attachment.original_name",
    "safety_plan.warning_signs",
    "appointment.location",
    "staff.full_name",
)


def test_my_data_json_carries_every_payload_as_the_same_string(
    xss: XssWorld, client_for: ClientFor
) -> None:
    """The download is JSON (never sniffed as a page) and each value survives as data."""
    response = client_for(xss.world.client_user_1).get(reverse("portal:data_json"))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json; charset=utf-8"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Content-Disposition"].startswith("attachment;")
    values = set(_strings(json.loads(response.content)))
    assert [label for label in MY_DATA_LABELS if xss.written[label] not in values] == []
    private = xss.values(*CLINICAL_TEAM_ONLY)
    assert [label for label, value in private.items() if value in values] == []


def test_my_data_readable_copy_shows_payloads_as_text(xss: XssWorld, client_for: ClientFor) -> None:
    response = client_for(xss.world.client_user_1).get(reverse("portal:data_copy"))
    assert response.status_code == 200
    page = inspect_html(response.content.decode())
    assert page.problems == []
    assert [label for label in MY_DATA_LABELS if not page.shows(xss.written[label])] == []


# --- CSV ---------------------------------------------------------------------------------------


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def _formula_cells(rows: list[list[str]]) -> list[str]:
    """Cells a spreadsheet would run: a formula start that is not a plain number."""
    return [
        value
        for row in rows
        for value in row
        if value.startswith(FORMULA_STARTS) and not _is_number(value)
    ]


@pytest.mark.parametrize("kind", ["administrations", "sessions", "courses", "group_scores"])
def test_research_csv_has_no_payload_and_no_formula(
    kind: str, xss: XssWorld, client_for: ClientFor
) -> None:
    """The practice's problem-area labels (one is `=HYPERLINK(…)`) and its own
    instrument's texts are payloads; the research file carries codes, numbers
    and pseudonyms only, and no cell starts a formula."""
    response = client_for(xss.world.supervisor).post(
        reverse("reports:research_export"), {"kind": kind, "dates": "shift"}
    )
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    text = response.getvalue().decode()
    rows = list(csv.reader(io.StringIO(text)))
    assert len(rows) > 1, "the file has rows"
    assert _formula_cells(rows) == []
    assert [label for label, value in xss.written.items() if squash(value) in text] == []
    assert not any(signature in text for signature in SIGNATURES)


@pytest.mark.parametrize("payload", [*FORMULA_PAYLOADS, "\t=1+1", "\r=1+1", "＝1+1"])
def test_a_formula_reaching_a_research_cell_is_written_as_text(payload: str) -> None:
    """The writer's own guard, for the day a value that someone typed reaches a cell."""
    lines = list(csv_lines(["label"], [[cell(payload)]]))
    rows = list(csv.reader(io.StringIO("".join(lines))))
    assert rows[1] == ["'" + payload]
    assert _formula_cells(rows) == []


# --- FHIR --------------------------------------------------------------------------------------

FHIR_LABELS = (
    "client.given_name",
    "client.family_name",
    "client.preferred_name",
    "client.address",
    "formulation.text",
    "goal.text",
    "group.name",
    "instrument.title",
    "instrument.item_1.text",
    "instrument.item_2.option_3",
    "practice.problem_area_label.role_dispute",
    "staff.full_name",
    "screening_0.given_name",
)
# Free text the FHIR mappers leave behind (their docstrings say which), and text no
# mapper reads at all (the inventory, the diary, messages, supervision).
FHIR_NEVER = (
    *CLINICAL_TEAM_ONLY,
    "client.access_needs",
    "focus.detail",
    "experiment.",
    "contract.notes",
    "group_session.notes",
    "member_task_",
    "member_0.",
    "member_1.",
    "member_2.",
    "member.drop_reason",
    "person.",
    "diary.",
    "message.",
)


def test_fhir_ndjson_carries_payloads_as_json_strings_one_resource_a_line(
    xss: XssWorld, tmp_path: Path
) -> None:
    """Multi-line payloads cannot split a resource over two lines; each payload comes
    back from the JSON as the exact string that was stored."""
    counts = export_practice(xss.world.practice_a, tmp_path)
    values: set[str] = set()
    for kind, count in counts.items():
        lines = (tmp_path / f"{kind}.ndjson").read_text(encoding="utf-8").split("\n")
        assert lines[-1] == "" and len(lines) - 1 == count, kind
        for line in lines[:-1]:
            resource = json.loads(line)
            assert resource["resourceType"] == kind
            values.update(_strings(resource))
    assert "\n" in xss.written["formulation.text"]
    assert [label for label in FHIR_LABELS if xss.written[label] not in values] == []
    leaked = [
        label
        for label, value in xss.values(*FHIR_NEVER).items()
        if any(value in text for text in values)
    ]
    assert leaked == []
