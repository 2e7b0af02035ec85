"""Secure message pages: the client's thread, the care team's inbox and thread, downloads.

Thin: selectors read (404 outside the thread), services write and audit.
Opening a thread is itself audited and records read receipts.
"""

from __future__ import annotations

import io
from typing import Any
from uuid import UUID

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import FileResponse, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from openipt.accounts.models import User
from openipt.messaging import attachments, selectors
from openipt.messaging.forms import MessageForm
from openipt.messaging.selectors import ThreadAccess
from openipt.messaging.services import (
    attachment_downloaded,
    inbox_listed,
    message_flag,
    message_mark_read,
    message_send,
)
from openipt.practice.models import Practice, Role

# A downloaded file is never shown inside our pages: it may not run anything,
# and nothing from it may load.
DOWNLOAD_CSP = "default-src 'none'; sandbox"


def _actor(request: HttpRequest) -> User:
    return request.user  # type: ignore[return-value]


def _send(
    request: HttpRequest, access: ThreadAccess, form: MessageForm, *, success_url: str
) -> HttpResponse | None:
    """Send from a bound form: a redirect on success, None (with errors on the form) if not."""
    if form.is_valid():
        try:
            message_send(
                actor=_actor(request),
                client=access.client,
                body=form.cleaned_data["body"],
                attachment=form.cleaned_data["attachment"],
                idempotency_key=form.cleaned_data["idempotency_key"],
            )
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(request, _("Message sent."))
            return redirect(success_url)
    form.renew_key_if_invalid()
    return None


def _thread_context(
    request: HttpRequest, access: ThreadAccess, form: MessageForm
) -> dict[str, Any]:
    actor = _actor(request)
    # Read the conversation first (so new messages are marked "new" on this
    # visit), then record the reading and audit it.
    lines = selectors.conversation(access=access, actor=actor)
    message_mark_read(actor=actor, client=access.client)
    return {
        "client": access.client,
        "access": access,
        "lines": lines,
        "form": form,
        "today": timezone.localdate(),
    }


@login_required
def my_thread(request: HttpRequest) -> HttpResponse:
    """The client's conversation with their care team, with the reply-time promise."""
    access = selectors.own_thread_access(user=_actor(request))
    status = 200
    if request.method == "POST":
        form = MessageForm(request.POST, request.FILES)
        sent = _send(request, access, form, success_url=reverse("messaging:my_thread") + "#latest")
        if sent is not None:
            return sent
        status = 400
    else:
        form = MessageForm()
    context = _thread_context(request, access, form)
    context["reply_time_statement"] = selectors.reply_time_statement(access.client)
    return render(request, "messaging/my_thread.html", context, status=status)


def _practice_and_roles(request: HttpRequest) -> tuple[Practice | None, frozenset[str]]:
    practice: Practice | None = request.practice  # type: ignore[attr-defined]
    roles = request.roles.in_practice(practice.pk if practice else None)  # type: ignore[attr-defined]
    return practice, roles


@login_required
def inbox(request: HttpRequest) -> HttpResponse:
    practice, roles = _practice_and_roles(request)
    if practice is not None and Role.CLIENT in roles and not selectors.can_use_inbox(roles):
        # A client who types this address is taken to their own messages.
        return redirect("messaging:my_thread")
    if practice is None or not selectors.can_use_inbox(roles):
        raise PermissionDenied
    actor = _actor(request)
    start = request.GET.get("start")
    if start:
        # "Start a conversation": the thread page checks access like any other visit.
        return (
            redirect("messaging:thread", client_id=start)
            if _is_uuid(start)
            else redirect("messaging:inbox")
        )
    rows = selectors.inbox_for_actor(actor=actor, practice=practice)
    inbox_listed(actor=actor, practice=practice)
    return render(
        request,
        "messaging/inbox.html",
        {
            "rows": rows,
            "today": timezone.localdate(),
            "practice": practice,
            "can_start": list(selectors.clients_to_start_with(actor=actor, practice=practice)),
        },
    )


def _is_uuid(value: str) -> bool:
    try:
        UUID(value)
    except ValueError:
        return False
    return True


@login_required
def thread(request: HttpRequest, client_id: UUID) -> HttpResponse:
    """One client's conversation, as the care team (or a supervisor, reading) sees it."""
    access = selectors.staff_thread_access(actor=_actor(request), client_public_id=client_id)
    status = 200
    if request.method == "POST":
        if not access.can_send:
            raise PermissionDenied
        form = MessageForm(request.POST, request.FILES)
        url = reverse("messaging:thread", kwargs={"client_id": access.client.public_id})
        sent = _send(request, access, form, success_url=url + "#latest")
        if sent is not None:
            return sent
        status = 400
    else:
        form = MessageForm()
    return render(
        request, "messaging/thread.html", _thread_context(request, access, form), status=status
    )


@login_required
@require_POST
def flag(request: HttpRequest, public_id: UUID) -> HttpResponse:
    message = selectors.message_get_for_flagging(actor=_actor(request), public_id=public_id)
    flagged = request.POST.get("flagged") == "1"
    message_flag(actor=_actor(request), message=message, flagged=flagged)
    messages.success(
        request,
        "Marked as needing attention." if flagged else "The needs-attention mark is cleared.",
    )
    url = reverse("messaging:thread", kwargs={"client_id": message.thread.client.public_id})
    return redirect(f"{url}#m-{message.public_id}")


@login_required
def attachment(request: HttpRequest, public_id: UUID) -> FileResponse:
    """A file from a thread, to its members only, always as a download."""
    actor = _actor(request)
    row, client = selectors.attachment_get_for_actor(actor=actor, public_id=public_id)
    content = attachments.load(row.stored_name)
    attachment_downloaded(actor=actor, attachment=row, client=client)
    response = FileResponse(
        io.BytesIO(content),
        as_attachment=True,
        filename=attachments.download_name(row.original_name, row.content_type),
        content_type=(
            f"{row.content_type}; charset=utf-8"
            if row.content_type == attachments.TEXT
            else row.content_type
        ),
    )
    response["Content-Length"] = str(len(content))
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    response["Content-Security-Policy"] = DOWNLOAD_CSP
    return response
