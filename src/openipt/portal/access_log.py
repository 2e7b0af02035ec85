"""Who accessed my record: the audit trail's events about this client, in plain words.

The same events the staff-side access log shows (`audit.selectors
.access_events_for_client`), without the client's own visits, with each
person's name and role in the practice. What was looked at is named in
general words (a session's notes are "session notes"), never with content.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import QuerySet
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from openipt.audit.models import AuditAction, AuditEvent
from openipt.audit.selectors import access_events_for_client
from openipt.practice.models import Client, Membership, Role

ACTION_WORDS: dict[str, Promise] = {
    AuditAction.VIEW: _("looked at"),
    AuditAction.LIST: _("looked at a list that includes"),
    AuditAction.CREATE: _("added"),
    AuditAction.UPDATE: _("changed"),
    AuditAction.ARCHIVE: _("archived"),
    AuditAction.RESTORE: _("restored"),
    AuditAction.EXPORT: _("exported"),
    AuditAction.INVITE: _("invited you to"),
    AuditAction.REVOKE: _("withdrew"),
    AuditAction.ACCEPT: _("accepted"),
    AuditAction.GRANT: _("gave access to"),
    AuditAction.REMOVE: _("removed access to"),
}

SESSION_NOTES = _("session notes")
OBJECT_WORDS: dict[str, Promise] = {
    "client": _("your record"),
    "client_access_log": _("this access log"),
    "care_team_member": _("your care team"),
    "invitation": _("the portal"),
    "course": _("your course"),
    "course_task": _("your course"),
    "session": SESSION_NOTES,
    "session_list": _("your sessions"),
    "session_new": SESSION_NOTES,
    "process_note": SESSION_NOTES,
    "note_draft": SESSION_NOTES,
    "formulation": _("your plan"),
    "focus": _("your plan"),
    "goal": _("your goals"),
    "contract": _("your agreement"),
    "experiment": _("an experiment"),
    "experiment_list": _("your experiments"),
    "inventory": _("your important people"),
    "inventory_person": _("your important people"),
    "circle": _("your important people"),
    "life_event": _("your life events"),
    "timeline": _("your life events"),
    "medication": _("your medication"),
    "medication_list": _("your medication"),
    "measure_administration": _("a questionnaire"),
    "measure_history": _("your questionnaires"),
    "measure_chart": _("your questionnaire scores"),
    "measure_request": _("a questionnaire"),
    "measure_schedule": _("your questionnaires"),
    "risk_alert": _("a safety alert"),
    "risk_alert_notification": _("a safety alert"),
    "safety_plan": _("your safety plan"),
    "safety_plan_version": _("your safety plan"),
    "termination_review": _("your end-of-course review"),
    "course_summary": _("your course summary"),
    "diary": _("your mood diary"),
    "diary_chart": _("your mood diary"),
    "diary_entry": _("your mood diary"),
    "message": _("your messages"),
    "message_attachment": _("a message attachment"),
    "appointment": _("an appointment"),
    "appointment_change_request": _("an appointment"),
}

ROLE_WORDS: dict[str, Promise] = {
    Role.CLINICIAN: _("Clinician"),
    Role.SUPERVISOR: _("Supervisor"),
    Role.PRACTICE_ADMIN: _("Practice administrator"),
    Role.FACILITATOR: _("Group facilitator"),
    Role.PROGRAMME_MANAGER: _("Programme manager"),
}
SYSTEM = _("OpenIPT (automatic)")


@dataclass(frozen=True)
class AccessRow:
    when: object
    who: str
    role: str
    what: str


def events_for_client(*, client: Client) -> QuerySet[AuditEvent]:
    """The events about this client made by anyone but the client."""
    events = access_events_for_client(client=client)
    if client.user_id is not None:
        events = events.exclude(actor_id=client.user_id)
    return events


def rows_for(events: list[AuditEvent], client: Client) -> list[AccessRow]:
    """Plain-language rows for one page of events (one more query, for the roles)."""
    actor_ids = {e.actor_id for e in events if e.actor_id is not None}
    roles: dict[int, list[str]] = {}
    for user_id, role in (
        Membership.objects.filter(user_id__in=actor_ids, practice_id=client.practice_id)
        .exclude(role=Role.CLIENT)
        .order_by("role")
        .values_list("user_id", "role")
    ):
        roles.setdefault(user_id, []).append(str(ROLE_WORDS.get(role, role)))
    rows = []
    for event in events:
        action = ACTION_WORDS.get(event.action, event.get_action_display())
        thing = OBJECT_WORDS.get(event.object_type, event.object_type.replace("_", " "))
        rows.append(
            AccessRow(
                when=event.occurred_at,
                who=str(event.actor) if event.actor is not None else str(SYSTEM),
                role=", ".join(roles.get(event.actor_id or 0, [])),
                what=f"{action} {thing}",
            )
        )
    return rows
