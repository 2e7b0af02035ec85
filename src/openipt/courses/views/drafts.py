"""The autosave endpoint that drafts.js posts to, and the "discard draft" button."""

from __future__ import annotations

from uuid import UUID

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from openipt.courses import selectors
from openipt.courses.forms_sessions import DraftDiscardForm, DraftForm
from openipt.courses.services import drafts as draft_services
from openipt.courses.views.sessions import actor_of


@never_cache
@login_required
@require_POST
def draft_save(request: HttpRequest, public_id: UUID) -> HttpResponse:
    """Keep the text of one textarea. Answers JSON; a refusal says why in plain words."""
    actor = actor_of(request)
    try:
        course = selectors.course_get_for_writing(actor=actor, public_id=public_id)
    except PermissionDenied:
        return JsonResponse(
            {"saved": False, "error": "You cannot write in this course."}, status=403
        )
    form = DraftForm(request.POST)
    if not form.is_valid():
        return JsonResponse({"saved": False, "error": "This draft cannot be saved."}, status=400)
    try:
        draft = draft_services.draft_save(
            actor=actor,
            course=course,
            key=form.cleaned_data["key"],
            text=form.cleaned_data["text"],
            base_version=form.cleaned_data["base_version"] or 0,
        )
    except ValidationError as exc:
        return JsonResponse({"saved": False, "error": " ".join(exc.messages)}, status=400)
    saved_at = timezone.localtime(draft.updated_at)
    return JsonResponse({"saved": True, "at": saved_at.strftime("%H:%M")})


@login_required
@require_POST
def draft_discard(request: HttpRequest, public_id: UUID) -> HttpResponse:
    """Throw away the actor's own drafts for one form, then go back to it."""
    actor = actor_of(request)
    course = selectors.course_get_for_actor(actor=actor, public_id=public_id)
    form = DraftDiscardForm(request.POST)
    back = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(
        back, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ) or not back.startswith(reverse("courses:overview", kwargs={"public_id": course.public_id})):
        back = ""
    if form.is_valid():
        try:
            draft_services.drafts_discard(
                actor=actor, course=course, prefix=form.cleaned_data["key_prefix"]
            )
        except ValidationError:
            messages.error(request, "That draft could not be discarded.")
        else:
            messages.info(request, "Draft discarded. The form shows the saved record.")
    if back:
        return redirect(back)
    return redirect("courses:sessions", public_id=course.public_id)
