"""The progress review, and the closing summary of a course."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from openipt.accounts.models import User
from openipt.courses import selectors
from openipt.courses.forms_termination import TerminationReviewForm
from openipt.courses.models import Attendance, FocusArea, TerminationReview
from openipt.courses.services.course import StaleEdit
from openipt.courses.services.termination import (
    REVIEW_TEXT_FIELDS,
    ItemRating,
    termination_review_open,
    termination_review_save,
)
from openipt.courses.views.course import _viewed, area_label
from openipt.protocol.variants import get_variant


def _rating(raw: str | None) -> int | None:
    if raw is None or raw.strip() == "":
        return None
    try:
        return int(raw)
    except ValueError as exc:
        raise ValidationError("Ratings are whole numbers from 0 to 10.") from exc


def _item_rows(review: TerminationReview) -> list[dict[str, Any]]:
    rows = []
    for item in review.items.select_related("focus_area", "goal"):
        if item.focus_area is not None:
            label = area_label(review.course, item.focus_area.area)
            kind = "Problem area"
        else:
            label = item.goal.text if item.goal else ""
            kind = "Goal"
        rows.append({"item": item, "label": label, "kind": kind})
    return rows


@login_required
def termination(request: HttpRequest, public_id: UUID) -> HttpResponse:
    actor: User = request.user  # type: ignore[assignment]
    course = selectors.course_get_for_writing(actor=actor, public_id=public_id)
    try:
        review = termination_review_open(actor=actor, course=course)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return redirect("courses:overview", public_id=course.public_id)
    form = TerminationReviewForm(
        request.POST or None,
        initial={
            "version": review.version,
            **{name: getattr(review, name) for name in REVIEW_TEXT_FIELDS},
            "outcome_category": review.outcome_category,
            "next_step": review.next_step,
        },
    )
    rows = _item_rows(review)
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            data = form.cleaned_data
            try:
                ratings = {
                    row["item"].pk: ItemRating(
                        rating_at_start=_rating(request.POST.get(f"start-{row['item'].pk}")),
                        rating_now=_rating(request.POST.get(f"now-{row['item'].pk}")),
                        comment=request.POST.get(f"comment-{row['item'].pk}", ""),
                    )
                    for row in rows
                }
                termination_review_save(
                    actor=actor,
                    review=review,
                    expected_version=data["version"],
                    texts={name: data[name] for name in REVIEW_TEXT_FIELDS},
                    outcome_category=data["outcome_category"],
                    next_step=data["next_step"],
                    ratings=ratings,
                    complete="complete" in request.POST,
                )
            except StaleEdit:
                status = 409
                form.add_error(
                    None,
                    "Someone else saved this review while you were editing. "
                    "Your text is still below: check it and save again.",
                )
                refreshed = request.POST.copy()
                refreshed["version"] = str(TerminationReview.objects.get(pk=review.pk).version)
                form.data = refreshed
            except ValidationError as exc:
                form.add_error(None, exc)
            else:
                if "complete" in request.POST:
                    messages.success(request, "Progress review complete. You can close the course.")
                    return redirect("courses:overview", public_id=course.public_id)
                messages.success(request, "Progress review saved.")
                return redirect("courses:termination", public_id=course.public_id)
    posted = request.POST if request.method == "POST" else None
    for row in rows:
        pk = row["item"].pk
        row["start"] = posted.get(f"start-{pk}", "") if posted else row["item"].rating_at_start
        row["now"] = posted.get(f"now-{pk}", "") if posted else row["item"].rating_now
        row["comment"] = posted.get(f"comment-{pk}", "") if posted else row["item"].comment
    return render(
        request,
        "courses/termination.html",
        {
            "form": form,
            "course": course,
            "client": course.client,
            "review": review,
            "rows": rows,
            "ratings": range(11),
        },
        status=status,
    )


@login_required
def summary(request: HttpRequest, public_id: UUID) -> HttpResponse:
    """A readable summary of the whole course (the PDF comes with the reports issue)."""
    actor: User = request.user  # type: ignore[assignment]
    course = selectors.course_get_for_actor(actor=actor, public_id=public_id)
    _viewed(request, course, "course_summary")
    review = TerminationReview.objects.filter(course=course).first()
    sessions = list(course.sessions.values_list("attendance", flat=True))
    focus = FocusArea.objects.filter(course=course).order_by("created_at")
    return render(
        request,
        "courses/summary.html",
        {
            "course": course,
            "client": course.client,
            "variant": get_variant(course.variant),
            "review": review,
            "rows": _item_rows(review) if review else [],
            "attended": sum(1 for a in sessions if a == Attendance.ATTENDED),
            "missed": sum(1 for a in sessions if a != Attendance.ATTENDED),
            "focus": [{"row": f, "label": area_label(course, f.area)} for f in focus],
            "formulation": course.formulations.order_by("-number").first(),
        },
    )
