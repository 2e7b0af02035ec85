"""Where the client is in their course, in plain words.

The facts come from `openipt.courses.selectors.client_portal` (the course
state the protocol engine also reads); this module only chooses the words.
They are written for the client: no problem-area names, no clinical terms,
nothing from a note. Each phrase is translatable.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from openipt.courses.selectors.client_portal import CourseProgress, FocusForClient
from openipt.protocol.phases import Phase
from openipt.protocol.problem_areas import ProblemAreaCode


def focus_phrase(focus: FocusForClient) -> str:
    """What the two of them are working on, as the client would say it."""
    name = focus.person_name
    if focus.area == ProblemAreaCode.GRIEF:
        if name:
            return _("coming to terms with the loss of %(name)s") % {"name": name}
        return _("coming to terms with a loss")
    if focus.area == ProblemAreaCode.ROLE_DISPUTE:
        if name:
            return _("working on the disagreement with %(name)s") % {"name": name}
        return _("working on a disagreement in an important relationship")
    if focus.area == ProblemAreaCode.ROLE_TRANSITION:
        return _("working on the change in your life")
    if focus.area == ProblemAreaCode.INTERPERSONAL_DEFICITS:
        return _("building closer connections with the people around you")
    return _("working on what you agreed together")


def focus_sentence(focus: tuple[FocusForClient, ...]) -> str:
    phrases = [focus_phrase(f) for f in focus]
    if not phrases:
        return ""
    if len(phrases) == 1:
        return phrases[0]
    return _("%(first)s, and %(second)s") % {"first": phrases[0], "second": phrases[1]}


def phase_sentence(progress: CourseProgress) -> str:
    if progress.phase == Phase.INITIAL:
        return _("getting started: understanding what has been happening and agreeing a plan")
    if progress.phase == Phase.MIDDLE:
        work = focus_sentence(progress.focus) or _("working on what you agreed together")
        return _("middle phase: %(work)s") % {"work": work}
    return _("final phase: looking back at what has changed and planning for afterwards")


@dataclass(frozen=True)
class ProgressWords:
    headline: str
    detail: str


def progress_words(progress: CourseProgress | None) -> ProgressWords | None:
    """A headline ("Session 6 of 16") and a sentence about the phase, or None without a course."""
    if progress is None:
        return None
    if progress.is_closed:
        return ProgressWords(
            headline=_("Your sessions have finished"),
            detail=ngettext(
                "You had one session. Your care team is still here if you need them.",
                "You had %(count)s sessions. Your care team is still here if you need them.",
                progress.last_session_number,
            )
            % {"count": progress.last_session_number},
        )
    number, planned = progress.last_session_number, progress.planned_sessions
    if number == 0:
        if planned:
            headline = _("Your course is starting: %(planned)s sessions are planned") % {
                "planned": planned
            }
        else:
            headline = _("Your course is starting")
    elif planned:
        headline = _("Session %(number)s of %(planned)s") % {"number": number, "planned": planned}
    else:
        headline = _("Session %(number)s") % {"number": number}
    return ProgressWords(headline=headline, detail=phase_sentence(progress))
