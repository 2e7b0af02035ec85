"""The client's questionnaires: what is waiting, and answering one.

A client reaches only their own requests (anything else is a 404). A positive
answer to a risk question takes the client straight to the crisis page on the
very next response, whatever else happens.
"""

from __future__ import annotations

from uuid import UUID

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from openipt.accounts.models import User
from openipt.audit.models import AuditAction
from openipt.audit.services import record
from openipt.courses.views.outcomes import CHART_CONTENT_SECURITY_POLICY
from openipt.measures import selectors as measure_selectors
from openipt.measures import services as measure_services
from openipt.measures.engine import InvalidAnswers
from openipt.measures.forms import KEY_FIELD, QuestionnaireForm, new_submission_key
from openipt.measures.models import AdministrationMode, MeasureAdministration, MeasureRequest
from openipt.portal import scores
from openipt.practice.models import Client
from openipt.practice.selectors import own_client_record

UNPROCESSABLE = 422


def _audit(user: User, client: Client, what: str, public_id: UUID | None = None) -> None:
    record(
        actor=user,
        action=AuditAction.VIEW,
        object_type=what,
        object_public_id=public_id or client.public_id,
        practice=client.practice,
        subject_client_public_id=client.public_id,
    )


def _after_submit(administration: MeasureAdministration) -> HttpResponse:
    if administration.risk_link_ids:
        # The crisis page comes first, before any thank-you.
        return redirect("safety:crisis")
    return redirect("portal:questionnaires")


@login_required
def questionnaire_list(request: HttpRequest) -> HttpResponse:
    user: User = request.user  # type: ignore[assignment]
    client = own_client_record(user=user)
    waiting = list(measure_selectors.open_requests_for_client(client))
    instruments = measure_selectors.instruments_for_practice(client.practice)
    histories = scores.score_histories(client)
    _audit(user, client, "portal_questionnaires")
    if histories:
        _audit(user, client, "portal_scores")
    return render(
        request,
        "portal/questionnaires.html",
        {
            "client": client,
            "waiting": [
                (r, measure_selectors.instrument_label(r.instrument_code, instruments))
                for r in waiting
            ],
            "histories": histories,
        },
    )


@login_required
@require_GET
def score_chart(request: HttpRequest, instrument_code: str) -> HttpResponse:
    """The client's own chart of one questionnaire, as an SVG image (see `scores`).

    A 404 when the practice does not let clients see their scores, for an
    instrument without scores in the client's current course, and for anyone
    who is not a client with a course.
    """
    user: User = request.user  # type: ignore[assignment]
    client = own_client_record(user=user)
    found = scores.score_history(client, instrument_code)
    if found is None:
        raise Http404("No such chart.")
    course, history = found
    svg = scores.score_chart_svg(history)
    _audit(user, client, "portal_score_chart", course.public_id)
    response = HttpResponse(svg, content_type="image/svg+xml; charset=utf-8")
    # Clinical data: never kept by a shared cache or on disk.
    response["Cache-Control"] = "private, no-store"
    response["Content-Security-Policy"] = CHART_CONTENT_SECURITY_POLICY
    return response


def _closed_page(
    request: HttpRequest, client: Client, measure_request: MeasureRequest, *, status: int
) -> HttpResponse:
    if measure_request.completed_administration_id is not None:
        state = "completed"
    elif measure_request.cancelled:
        state = "withdrawn"
    elif measure_request.course.status != "active":
        state = "closed"
    else:
        state = "expired"
    return render(
        request,
        "portal/questionnaire_closed.html",
        {"client": client, "state": state, "measure_request": measure_request},
        status=status,
    )


@login_required
def questionnaire_fill(request: HttpRequest, public_id: UUID) -> HttpResponse:
    user: User = request.user  # type: ignore[assignment]
    client = own_client_record(user=user)
    measure_request = measure_selectors.request_get_for_client(client=client, public_id=public_id)
    course = measure_request.course
    completed = measure_request.completed_administration
    if request.method == "POST" and completed is not None:
        # A second press of "Send" (or a resent form): the answers are stored once.
        return _after_submit(completed)
    if (
        completed is not None
        or not measure_selectors.request_is_open(measure_request)
        or course.status != "active"
    ):
        return _closed_page(
            request, client, measure_request, status=200 if request.method == "GET" else 409
        )
    try:
        instrument = measure_selectors.instrument_for_practice(
            course.practice, measure_request.instrument_code, language=client.language
        )
    except measure_selectors.UnknownInstrument:
        return _closed_page(request, client, measure_request, status=409)
    status = 200
    if request.method == "POST":
        form = QuestionnaireForm(instrument, request.POST)
        key = request.POST.get(KEY_FIELD, "")[:64] or new_submission_key()
        try:
            administration = measure_services.measure_submit(
                actor=user,
                course=course,
                instrument_code=measure_request.instrument_code,
                answers=form.answers(),
                administered_at=timezone.now(),
                mode=AdministrationMode.PORTAL,
                request=measure_request,
                idempotency_key=key,
            )
        except InvalidAnswers as exc:
            form.add_errors(exc.errors)
            status = UNPROCESSABLE
        except ValidationError as exc:
            measure_request.refresh_from_db()
            if not measure_selectors.request_is_open(measure_request):
                return _closed_page(request, client, measure_request, status=409)
            form.non_item_errors.extend(exc.messages)
            status = 400
        else:
            if not administration.risk_link_ids:
                messages.success(
                    request,
                    _(
                        "Thank you. Your answers are saved; your clinician will go through them "
                        "with you."
                    ),
                )
            return _after_submit(administration)
    else:
        form = QuestionnaireForm(instrument)
        key = new_submission_key()
        _audit(user, client, "measure_request", measure_request.public_id)
    return render(
        request,
        "portal/questionnaire.html",
        {
            "client": client,
            "measure_request": measure_request,
            "instrument": instrument,
            "form": form,
            "rows": form.rows(),
            "summary": form.error_summary(),
            "key": key,
            "key_field": KEY_FIELD,
        },
        status=status,
    )
