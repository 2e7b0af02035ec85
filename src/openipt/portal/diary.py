"""The client's mood diary: a quick entry for the day and the last 30 days.

One entry per day: saving again the same day updates that day's entry (see
`openipt.diary.services`). A save from a form that was showing an older
version is refused with the typed text kept and the stored entry shown, so
that nothing is silently overwritten.
"""

from __future__ import annotations

import datetime
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from openipt.accounts.models import User
from openipt.diary import selectors as diary_selectors
from openipt.diary import services as diary_services
from openipt.diary.models import DiaryEntry
from openipt.portal.forms import DiaryForm
from openipt.practice import selectors, services

UNPROCESSABLE = 422


def _day_from_query(value: str) -> datetime.date:
    today = timezone.localdate()
    try:
        day = datetime.date.fromisoformat(value) if value else today
    except ValueError:
        return today
    return min(day, today)


def _initial(entry: DiaryEntry | None, day: datetime.date) -> dict[str, Any]:
    if entry is None:
        return {"date": day, "version": 0}
    return {
        "date": day,
        "mood": entry.mood,
        "note": entry.note,
        "people": [str(p.public_id) for p in entry.people.all()],
        "version": entry.version,
    }


@login_required
def diary(request: HttpRequest) -> HttpResponse:
    user: User = request.user  # type: ignore[assignment]
    client = selectors.own_client_record(user=user)
    people = diary_selectors.people_for_client(client=client)
    status = 200
    conflict: DiaryEntry | None = None
    if request.method == "POST":
        form = DiaryForm(request.POST, people=people)
        if form.is_valid():
            data = form.cleaned_data
            try:
                _entry, created = diary_services.diary_entry_save(
                    actor=user,
                    client=client,
                    day=data["date"],
                    mood=data["mood"],
                    note=data["note"],
                    people_ids=data.get("people", []),
                    base_version=data["version"] or 0,
                )
            except diary_services.StaleDiaryEntry as exc:
                conflict = exc.current
                # The typed text stays; saving again is a deliberate choice to
                # replace what is stored, so the form now carries its version.
                data = request.POST.copy()
                data["version"] = str(conflict.version)
                form = DiaryForm(data, people=people)
                status = 409
            except ValidationError as exc:
                for name, errors in exc.message_dict.items():
                    form.add_error(name if name in form.fields else None, errors)
                status = UNPROCESSABLE
            else:
                messages.success(
                    request,
                    _("Saved. Thank you.") if created else _("Updated. Thank you."),
                )
                return redirect(reverse("portal:diary"))
        else:
            status = UNPROCESSABLE
    else:
        day = _day_from_query(request.GET.get("day", ""))
        entry = diary_selectors.entry_for_day(client=client, day=day)
        form = DiaryForm(initial=_initial(entry, day), people=people)
    services.client_record_viewed(actor=user, client=client, what="portal_diary")
    return render(
        request,
        "portal/diary.html",
        {
            "client": client,
            "form": form,
            "conflict": conflict,
            "entries": diary_selectors.recent_entries_for_client(client=client),
            "today": timezone.localdate(),
        },
        status=status,
    )
