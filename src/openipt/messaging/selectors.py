"""Reads of secure messages, scoped to the actor: outside reach is a 404.

Who is in a client's thread:
- the client, through their own portal account (reads and writes);
- the clinicians on the client's care team, while they hold an active clinician
  role in the practice (read, write, flag a message as needing attention);
- the supervisors of the practice (read only: a 403 when they try to write).
Everyone else (colleagues off the care team, practice admins, facilitators,
programme managers, other clients, anyone from another practice) gets the same
404 as for a client that does not exist.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from typing import TYPE_CHECKING
from uuid import UUID

from django.core.exceptions import PermissionDenied
from django.db.models import (
    Count,
    Exists,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
)
from django.db.models.functions import Coalesce
from django.http import Http404

from openipt.messaging.models import (
    Attachment,
    Message,
    MessageRead,
    ReaderKind,
    SenderKind,
    Thread,
)
from openipt.practice.models import CareTeamMember, CareTeamRole, Client, ClientStatus, Role
from openipt.practice.roles import roles_for
from openipt.practice.selectors import client_get_for_actor, own_client_record
from openipt.safety.selectors import safety_settings_get

if TYPE_CHECKING:
    from openipt.accounts.models import User
    from openipt.practice.models import Practice

# Roles that have an inbox.
INBOX_ROLES = frozenset({Role.CLINICIAN, Role.SUPERVISOR})


@dataclass(frozen=True)
class ThreadAccess:
    """Who the actor is in a client's thread, and what they may do there."""

    client: Client
    reader_kind: ReaderKind

    @property
    def is_client(self) -> bool:
        return self.reader_kind == ReaderKind.CLIENT

    @property
    def can_send(self) -> bool:
        return self.reader_kind in (ReaderKind.CLIENT, ReaderKind.CLINICIAN)

    @property
    def can_flag(self) -> bool:
        return self.reader_kind == ReaderKind.CLINICIAN

    @property
    def sender_kind(self) -> SenderKind:
        return SenderKind.CLIENT if self.is_client else SenderKind.CARE_TEAM


def _is_care_team_clinician(actor: User, client: Client) -> bool:
    return CareTeamMember.objects.filter(
        client=client, user=actor, role=CareTeamRole.CLINICIAN
    ).exists()


def _staff_reader_kind(actor: User, client: Client) -> ReaderKind | None:
    roles = roles_for(actor).in_practice(client.practice_id)
    if Role.CLINICIAN in roles and _is_care_team_clinician(actor, client):
        return ReaderKind.CLINICIAN
    if Role.SUPERVISOR in roles:
        return ReaderKind.SUPERVISOR
    return None


def own_thread_access(*, user: User) -> ThreadAccess:
    """The signed-in client's own thread; 404 for anyone who is not a client here."""
    return ThreadAccess(client=own_client_record(user=user), reader_kind=ReaderKind.CLIENT)


def staff_thread_access(*, actor: User, client_public_id: UUID | str) -> ThreadAccess:
    """A client's thread as seen by staff: care-team clinicians and supervisors, else 404.

    Practice admins can open the client record but never its clinical content,
    so they get the same 404 as a stranger.
    """
    client = client_get_for_actor(actor=actor, public_id=client_public_id)
    kind = _staff_reader_kind(actor, client)
    if kind is None:
        raise Http404("No such client.")
    return ThreadAccess(client=client, reader_kind=kind)


def thread_access_for(*, actor: User, client: Client) -> ThreadAccess:
    """How `actor` belongs to `client`'s thread (for services), or a 404."""
    if client.user_id is not None and client.user_id == actor.pk:
        try:
            own = own_client_record(user=actor)
        except Http404:
            pass
        else:
            if own.pk == client.pk:
                return ThreadAccess(client=own, reader_kind=ReaderKind.CLIENT)
    return staff_thread_access(actor=actor, client_public_id=client.public_id)


def thread_for_client(client: Client) -> Thread | None:
    return Thread.objects.filter(client=client).first()


def reply_time_statement(client: Client) -> str:
    """The practice's promise about when messages are read (set on its safety settings)."""
    return safety_settings_get(client.practice).reply_time_statement


# --- the conversation -----------------------------------------------------------------------


def _first_read(kind: ReaderKind) -> Subquery:
    return Subquery(
        MessageRead.objects.filter(message=OuterRef("pk"), reader_kind=kind)
        .order_by("read_at")
        .values("read_at")[:1]
    )


@dataclass(frozen=True)
class MessageLine:
    message: Message
    attachment: Attachment | None
    # Written by the person looking.
    mine: bool
    # Written by the looker's side of the conversation (the client, or the care team).
    own_side: bool
    # Not yet read by the person looking, when the page was opened.
    new: bool
    # When the other side first read it: for the client's messages, a care-team
    # clinician; for the care team's messages, the client.
    read_at: datetime.datetime | None


def _attachment_of(message: Message) -> Attachment | None:
    try:
        return message.attachment
    except Attachment.DoesNotExist:
        return None


def conversation(*, access: ThreadAccess, actor: User) -> list[MessageLine]:
    """Every message of the thread, oldest first, in one query (with attachments and receipts)."""
    messages = (
        Message.objects.filter(thread__client=access.client)
        .select_related("author", "attachment", "flagged_by")
        .annotate(
            client_read_at=_first_read(ReaderKind.CLIENT),
            clinician_read_at=_first_read(ReaderKind.CLINICIAN),
            read_by_me=Exists(MessageRead.objects.filter(message=OuterRef("pk"), user=actor)),
        )
        .order_by("created_at", "id")
    )
    lines = []
    for message in messages:
        mine = message.author_id == actor.pk
        read_at = message.clinician_read_at if message.from_client else message.client_read_at
        lines.append(
            MessageLine(
                message=message,
                attachment=_attachment_of(message),
                mine=mine,
                own_side=message.from_client == access.is_client,
                new=not mine and not message.read_by_me,
                read_at=read_at,
            )
        )
    return lines


def unread_count_for_client(*, client: Client) -> int:
    """Messages from the care team that the client has not opened yet (one query)."""
    if client.user_id is None:
        return 0
    return (
        Message.objects.filter(thread__client=client, sender_kind=SenderKind.CARE_TEAM)
        .exclude(reads__user_id=client.user_id)
        .count()
    )


# --- the inbox --------------------------------------------------------------------------------


def can_use_inbox(roles: frozenset[str]) -> bool:
    return bool(roles & INBOX_ROLES)


@dataclass(frozen=True)
class InboxRow:
    thread: Thread
    client: Client
    unread: int
    flagged: bool
    last_message_at: datetime.datetime | None


def threads_visible_to(*, actor: User, practice: Practice) -> QuerySet[Thread]:
    """One practice's threads in reach: care-team clients, or all of them (supervisors)."""
    roles = roles_for(actor).in_practice(practice.pk)
    condition = Q(pk__in=[])
    if Role.SUPERVISOR in roles:
        condition |= Q(practice=practice)
    if Role.CLINICIAN in roles:
        on_team = Exists(
            CareTeamMember.objects.filter(
                client=OuterRef("client"), user=actor, role=CareTeamRole.CLINICIAN
            )
        )
        condition |= Q(practice=practice) & Q(on_team)
    return Thread.objects.filter(condition)


def inbox_for_actor(*, actor: User, practice: Practice) -> list[InboxRow]:
    """One row per client thread: flagged first, then unread first, then newest.

    Two queries whatever the number of threads (the actor's roles, then the
    threads with their counts).
    """
    unread_messages = (
        Message.objects.filter(thread=OuterRef("pk"))
        .exclude(author=actor)
        .exclude(Exists(MessageRead.objects.filter(message=OuterRef("pk"), user=actor)))
        .order_by()
        .values("thread")
        .annotate(n=Count("pk"))
        .values("n")
    )
    flagged = Message.objects.filter(thread=OuterRef("pk"), flagged_needs_attention=True)
    threads = (
        threads_visible_to(actor=actor, practice=practice)
        .select_related("client")
        .annotate(
            unread=Coalesce(Subquery(unread_messages, output_field=IntegerField()), Value(0)),
            flagged=Exists(flagged),
        )
        .order_by("-flagged", "-last_message_at", "id")
    )
    rows = [
        InboxRow(
            thread=t,
            client=t.client,
            unread=t.unread,
            flagged=t.flagged,
            last_message_at=t.last_message_at,
        )
        for t in threads
    ]
    # Flagged first, then threads with unread messages, each newest first (a stable sort
    # keeps the database's newest-first order inside each group).
    rows.sort(key=lambda r: (not r.flagged, r.unread == 0))
    return rows


def unread_count_for_staff(*, actor: User, practice: Practice) -> int:
    """Unread messages across the actor's inbox, for a badge (one query after the roles)."""
    threads = threads_visible_to(actor=actor, practice=practice)
    return (
        Message.objects.filter(thread__in=threads)
        .exclude(author=actor)
        .exclude(reads__user=actor)
        .count()
    )


# --- single objects -----------------------------------------------------------------------


def attachment_get_for_actor(*, actor: User, public_id: UUID | str) -> tuple[Attachment, Client]:
    """An attachment in a thread the actor belongs to, or a 404 exactly like a missing id."""
    try:
        attachment = Attachment.objects.select_related(
            "message", "message__thread", "message__thread__client"
        ).get(public_id=public_id)
    except (Attachment.DoesNotExist, ValueError) as exc:
        raise Http404("No such attachment.") from exc
    access = thread_access_for(actor=actor, client=attachment.message.thread.client)
    return attachment, access.client


def message_get_for_flagging(*, actor: User, public_id: UUID | str) -> Message:
    """A client's message the actor may flag: 404 outside reach, 403 for read-only staff."""
    try:
        message = Message.objects.select_related("thread", "thread__client").get(
            public_id=public_id
        )
    except (Message.DoesNotExist, ValueError) as exc:
        raise Http404("No such message.") from exc
    access = thread_access_for(actor=actor, client=message.thread.client)
    if access.is_client:
        # A client never sees the flag: to them this address does not exist.
        raise Http404("No such message.")
    if not access.can_flag:
        raise PermissionDenied
    return message


def clients_to_start_with(*, actor: User, practice: Practice) -> QuerySet[Client]:
    """The actor's care-team clients (as clinician) with no conversation yet, for "start one"."""
    if Role.CLINICIAN not in roles_for(actor).in_practice(practice.pk):
        return Client.objects.none()
    return (
        Client.objects.filter(
            practice=practice,
            status=ClientStatus.ACTIVE,
            care_team__user=actor,
            care_team__role=CareTeamRole.CLINICIAN,
            message_thread__isnull=True,
        )
        .distinct()
        .order_by("family_name", "given_name", "id")
    )
