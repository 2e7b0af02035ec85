"""Questionnaires: submit one (the integration contract), read them, and read a course's outcomes.

`POST /courses/{course_id}/measures` goes through `measure_submit(mode="api")`,
the same service as the in-session form: the answers are scored by the
measures engine, and a positive risk answer raises a risk alert in the same
transaction. Outcomes are those of the course overview's outcome panel
(`measures.chart_data.course_progress`).
"""

from __future__ import annotations

import datetime
from typing import Annotated
from uuid import UUID

from django.core.exceptions import ValidationError
from django.http import HttpRequest
from django.utils import timezone
from ninja import Header, Query, Router, Schema, Status
from pydantic import Field, StrictInt, StringConstraints

from openipt.api.errors import errors
from openipt.api.pagination import Page, PageParams, paginate
from openipt.api.routers.common import actor_of, audit_read
from openipt.courses.selectors import course_get_for_actor
from openipt.measures.chart_data import course_progress
from openipt.measures.engine import TrackStatus
from openipt.measures.models import AdministrationMode, MeasureAdministration
from openipt.measures.selectors import (
    UnknownInstrument,
    administration_get_for_actor,
    administrations_for_course,
    instrument_for_practice,
)
from openipt.measures.services import FUTURE_TOLERANCE, RISK_SOURCE_TYPE, measure_submit
from openipt.safety.models import RiskAlert

router = Router(tags=["measures"])

Answer = StrictInt | Annotated[str, StringConstraints(strict=True, max_length=64)] | None


class MeasureIn(Schema):
    instrument: str = Field(min_length=1, max_length=32, examples=["phq9"])
    answers: dict[Annotated[str, StringConstraints(max_length=64)], Answer] = Field(
        description="Answer per item linkId: the option's ordinal (0, 1, …) or its code."
    )
    administered_at: datetime.datetime | None = Field(
        None, description="When the client answered (ISO 8601); now if left out."
    )


class MeasureCreatedOut(Schema):
    id: UUID
    instrument: str
    total: int
    severity: str
    risk_items: list[str]
    alert_id: UUID | None


class MeasureOut(Schema):
    id: UUID
    course_id: UUID
    session_id: UUID | None
    instrument: str
    instrument_version: str
    answers: dict[str, int]
    total: int
    severity: str
    risk_items: list[str]
    prorated: bool
    administered_at: datetime.datetime
    mode: str
    superseded: bool
    created_at: datetime.datetime


class OutcomeOut(Schema):
    baseline: int | None
    latest: int | None
    change: int | None
    response: bool | None
    remission: bool | None
    reliable_improvement: bool | None
    reliable_deterioration: bool | None
    recovery: bool | None
    on_track: bool | None = Field(
        description="Against the expected-recovery range (a heuristic); null when too early "
        "or the instrument has no expected curve."
    )


def measure_out(row: MeasureAdministration) -> MeasureOut:
    return MeasureOut(
        id=row.public_id,
        course_id=row.course.public_id,
        session_id=row.session.public_id if row.session else None,
        instrument=row.instrument_code,
        instrument_version=row.instrument_version,
        answers={str(k): int(v) for k, v in (row.answers or {}).items()},
        total=row.total,
        severity=row.band_code,
        risk_items=list(row.risk_link_ids or []),
        prorated=row.prorated,
        administered_at=row.administered_at,
        mode=row.mode,
        superseded=row.superseded,
        created_at=row.created_at,
    )


def _checked_moment(value: datetime.datetime | None) -> datetime.datetime | None:
    if value is None:
        return None
    if timezone.is_naive(value):
        value = timezone.make_aware(value)
    if value > timezone.now() + FUTURE_TOLERANCE:
        raise ValidationError({"administered_at": "A questionnaire cannot be dated in the future."})
    return value


@router.post(
    "/courses/{course_id}/measures",
    response={201: MeasureCreatedOut, **errors(403, 404, 422)},
    url_name="course_measure_create",
)
def course_measure_create(
    request: HttpRequest,
    course_id: UUID,
    payload: MeasureIn,
    idempotency_key: Annotated[str | None, Header(alias="Idempotency-Key")] = None,
) -> Status[MeasureCreatedOut]:
    """Score and store one questionnaire; a positive risk item raises a risk alert.

    Only a clinician on the client's care team may submit (a supervisor gets 403).
    The same `Idempotency-Key` returns the questionnaire already stored.
    """
    actor = actor_of(request)
    course = course_get_for_actor(actor=actor, public_id=course_id)
    try:
        instrument_for_practice(course.practice, payload.instrument)
    except UnknownInstrument as exc:
        raise ValidationError(
            {"instrument": "This practice has no questionnaire with that code."}
        ) from exc
    row = measure_submit(
        actor=actor,
        course=course,
        instrument_code=payload.instrument,
        answers=payload.answers,
        administered_at=_checked_moment(payload.administered_at),
        mode=AdministrationMode.API,
        idempotency_key=(idempotency_key or "")[:64] or None,
    )
    alert = RiskAlert.objects.filter(
        source_type=RISK_SOURCE_TYPE, source_public_id=row.public_id
    ).first()
    return Status(
        201,
        MeasureCreatedOut(
            id=row.public_id,
            instrument=row.instrument_code,
            total=row.total,
            severity=row.band_code,
            risk_items=list(row.risk_link_ids or []),
            alert_id=alert.public_id if alert is not None else None,
        ),
    )


@router.get(
    "/courses/{course_id}/measures",
    response={200: Page[MeasureOut], **errors(404, 422)},
    url_name="course_measure_list",
)
def course_measure_list(
    request: HttpRequest, course_id: UUID, page: Query[PageParams]
) -> dict[str, object]:
    """Every questionnaire of the course, corrected ones included (`superseded`)."""
    actor = actor_of(request)
    course = course_get_for_actor(actor=actor, public_id=course_id)
    audit_read(
        request,
        object_type="measure_history",
        public_id=course.public_id,
        practice=course.practice,
        client_public_id=course.client.public_id,
    )
    queryset = administrations_for_course(actor=actor, course=course).select_related("course")
    return paginate(queryset, page, measure_out)


@router.get(
    "/measures/{measure_id}", response={200: MeasureOut, **errors(404, 422)}, url_name="measure_get"
)
def measure_get(request: HttpRequest, measure_id: UUID) -> MeasureOut:
    row = administration_get_for_actor(actor=actor_of(request), public_id=measure_id)
    audit_read(
        request,
        object_type="measure_administration",
        public_id=row.public_id,
        practice=row.practice,
        client_public_id=row.client.public_id,
    )
    return measure_out(row)


def _on_track(status: TrackStatus) -> bool | None:
    if status == TrackStatus.ON_TRACK:
        return True
    if status == TrackStatus.NOT_ON_TRACK:
        return False
    return None


@router.get(
    "/courses/{course_id}/outcomes",
    response={200: dict[str, OutcomeOut], **errors(404, 422)},
    url_name="course_outcomes",
)
def course_outcomes(request: HttpRequest, course_id: UUID) -> dict[str, OutcomeOut]:
    """Per instrument given in the course (keyed by its code): baseline, latest and the labels."""
    course = course_get_for_actor(actor=actor_of(request), public_id=course_id)
    audit_read(
        request,
        object_type="measure_outcomes",
        public_id=course.public_id,
        practice=course.practice,
        client_public_id=course.client.public_id,
    )
    result: dict[str, OutcomeOut] = {}
    for progress in course_progress(course).instruments:
        outcome = progress.outcome
        result[progress.code] = OutcomeOut(
            baseline=outcome.baseline,
            latest=outcome.latest,
            change=outcome.change,
            response=outcome.response,
            remission=outcome.remission,
            reliable_improvement=outcome.reliable_improvement,
            reliable_deterioration=outcome.reliable_deterioration,
            recovery=outcome.recovery,
            on_track=_on_track(progress.status),
        )
    return result
