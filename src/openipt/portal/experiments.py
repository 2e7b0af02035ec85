"""Experiments: what was agreed in session, and the client's report on how it went.

The report goes to the clinician's page for the next session. Once the
clinician has gone through an experiment with the client it is closed here.
"""

from __future__ import annotations

from uuid import UUID

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from openipt.accounts.models import User
from openipt.audit.models import AuditAction
from openipt.audit.services import record
from openipt.courses.models import Experiment, ExperimentStatus
from openipt.courses.selectors import client_portal as course_portal
from openipt.courses.services import client_portal as course_portal_services
from openipt.portal.forms import ExperimentReportForm
from openipt.practice import selectors, services
from openipt.practice.models import Client

UNPROCESSABLE = 422
FIELD_OF = {
    "outcome": "outcome",
    "report_what_happened": "what_happened",
    "report_what_was_said": "what_was_said",
    "report_how_it_felt": "how_it_felt",
}


@login_required
def experiment_list(request: HttpRequest) -> HttpResponse:
    user: User = request.user  # type: ignore[assignment]
    client = selectors.own_client_record(user=user)
    services.client_record_viewed(actor=user, client=client, what="portal_experiments")
    rows = course_portal.experiments_for_client(client=client)
    return render(
        request,
        "portal/experiments.html",
        {
            "client": client,
            "to_try": [e for e in rows if e.status == ExperimentStatus.ASSIGNED],
            "reported": [
                e for e in rows if e.status in (ExperimentStatus.DONE, ExperimentStatus.NOT_DONE)
            ],
            "talked_through": [e for e in rows if e.status == ExperimentStatus.REVIEWED],
        },
    )


def _audit_read(user: User, client: Client, experiment: Experiment) -> None:
    record(
        actor=user,
        action=AuditAction.VIEW,
        object_type="experiment",
        object_public_id=experiment.public_id,
        practice=client.practice,
        subject_client_public_id=client.public_id,
    )


@login_required
def experiment_report(request: HttpRequest, public_id: UUID) -> HttpResponse:
    user: User = request.user  # type: ignore[assignment]
    client = selectors.own_client_record(user=user)
    experiment = course_portal.experiment_get_for_client(client=client, public_id=public_id)
    reportable = course_portal.experiment_is_reportable(experiment)
    status = 200
    if request.method == "POST" and reportable:
        form = ExperimentReportForm(request.POST)
        if form.is_valid():
            try:
                course_portal_services.experiment_report(
                    actor=user,
                    experiment=experiment,
                    outcome=form.cleaned_data["outcome"],
                    what_happened=form.cleaned_data["what_happened"],
                    what_was_said=form.cleaned_data["what_was_said"],
                    how_it_felt=form.cleaned_data["how_it_felt"],
                )
            except ValidationError as exc:
                for name, errors in exc.message_dict.items():
                    form.add_error(FIELD_OF.get(name), errors)
                status = UNPROCESSABLE
            else:
                messages.success(
                    request, _("Thank you. Your clinician will see this at your next session.")
                )
                return redirect("portal:experiments")
        else:
            status = UNPROCESSABLE
    elif request.method == "POST":
        status = 409
        form = ExperimentReportForm()
    else:
        _audit_read(user, client, experiment)
        initial = {
            "what_happened": experiment.report_what_happened,
            "what_was_said": experiment.report_what_was_said,
            "how_it_felt": experiment.report_how_it_felt,
        }
        if experiment.status in (ExperimentStatus.DONE, ExperimentStatus.NOT_DONE):
            initial["outcome"] = experiment.status
        form = ExperimentReportForm(initial=initial)
    return render(
        request,
        "portal/experiment_report.html",
        {"client": client, "experiment": experiment, "form": form, "reportable": reportable},
        status=status,
    )
