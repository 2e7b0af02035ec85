"""The group session form: one card per member, parsed by hand.

A Django Form with 12 × 13 generated fields would hide the one thing this
form must do well: show, per member, exactly what was typed and the message
next to it. So the form is plain data: `SessionForm` reads the POST (or a
stored session), builds the cards the template draws, parses everything into
the service's arguments and puts the service's errors ("<member id>:<linkId>")
back next to the right member and question.

Field names carry the member's public id, never a name, because the page's
offline copy (static/groups/offline-form.js) saves them on the phone.
"""

from __future__ import annotations

import datetime
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import ValidationError
from django.utils import timezone

from openipt.groups.models import GroupMember, MemberTask, TaskOutcome
from openipt.groups.selectors.members import problem_area_choices
from openipt.groups.services.session_checks import MemberEntry
from openipt.measures.engine.definition import Instrument, Item
from openipt.protocol.group import FIDELITY_SCALE, GroupAdherenceItem

ANSWERS = ("0", "1", "2", "3")
REVIEW_CHOICES = (
    (TaskOutcome.DONE.value, "Done"),
    (TaskOutcome.PARTLY.value, "Partly"),
    (TaskOutcome.NOT_DONE.value, "Not done"),
)
FIDELITY_CHOICES = tuple(str(n) for n in range(FIDELITY_SCALE[0], FIDELITY_SCALE[1] + 1))
KEY_MAX = 64
# Member fields the card draws its messages beside; anything else goes at its foot.
CARD_FIELDS = frozenset({"present", "task_text", "previous_task_outcome", "problem_area"})


def question_items(instrument: Instrument) -> list[Item]:
    """The questions every present member answers (PHQ-9: the nine scored items)."""
    return [item for item in instrument.items if item.required]


def question_number(item: Item) -> str:
    return item.link_id.rsplit("-", 1)[-1]


def area_choices(overrides: Mapping[str, str] | None) -> list[tuple[str, str]]:
    """The problem areas in the same words as the group and member pages."""
    return problem_area_choices(overrides)


def clean_key(raw: str | None) -> str:
    """The posted idempotency key if it looks like one, else a fresh one."""
    text = (raw or "").strip()
    if text and len(text) <= KEY_MAX and all(c.isalnum() or c == "-" for c in text):
        return text
    return str(uuid.uuid4())


@dataclass
class Question:
    link_id: str
    number: str
    text: str
    name: str
    value: str
    is_risk: bool
    errors: list[str] = field(default_factory=list)

    @property
    def choices(self) -> list[tuple[str, bool]]:
        return [(answer, answer == self.value) for answer in ANSWERS]


@dataclass
class MemberCard:
    member: GroupMember
    prefix: str
    present: bool
    questions: list[Question]
    previous_task: MemberTask | None
    review: str
    task_text: str
    problem_area: str
    ask_area: bool
    errors: dict[str, list[str]] = field(default_factory=dict)

    @property
    def has_errors(self) -> bool:
        return bool(self.errors) or any(q.errors for q in self.questions)

    @property
    def other_errors(self) -> list[str]:
        """Messages about the member that belong to no one field (drawn at the card's foot)."""
        return [m for key, found in self.errors.items() if key not in CARD_FIELDS for m in found]

    def review_choices(self) -> list[tuple[str, str, bool]]:
        return [(value, label, value == self.review) for value, label in REVIEW_CHOICES]


@dataclass
class Initial:
    """What a form starts with when nothing was posted."""

    held_on: datetime.date
    present: dict[int, bool] = field(default_factory=dict)
    answers: dict[int, Mapping[str, Any]] = field(default_factory=dict)
    tasks: dict[int, str] = field(default_factory=dict)
    reviews: dict[int, str] = field(default_factory=dict)
    notes: str = ""
    adherence: Sequence[str] = ()
    self_fidelity: int | None = None


class SessionForm:
    def __init__(
        self,
        *,
        members: list[GroupMember],
        instrument: Instrument,
        previous_tasks: Mapping[int, MemberTask],
        adherence_items: Sequence[GroupAdherenceItem],
        number: int,
        area_overrides: Mapping[str, str] | None,
        data: Mapping[str, Any] | None = None,
        initial: Initial | None = None,
        version: int | None = None,
    ) -> None:
        self.members = members
        self.items = question_items(instrument)
        self.adherence_items = adherence_items
        self.number = number
        self.version = version
        self.area_choices = area_choices(area_overrides)
        self.errors: dict[str, list[str]] = {}
        self.data = data
        start = initial or Initial(held_on=timezone.localdate())
        if data is not None:
            self.idempotency_key = clean_key(data.get("idempotency_key"))
            self.held_on_text = str(data.get("held_on", "")).strip()
            self.notes = str(data.get("notes", ""))
            self.adherence = _getlist(data, "adherence")
            self.self_fidelity = str(data.get("self_fidelity", "")).strip()
        else:
            self.idempotency_key = str(uuid.uuid4())
            self.held_on_text = start.held_on.isoformat()
            self.notes = start.notes
            self.adherence = list(start.adherence)
            self.self_fidelity = "" if start.self_fidelity is None else str(start.self_fidelity)
        self.cards = [self._card(m, previous_tasks.get(m.pk), start) for m in members]

    def _card(self, member: GroupMember, task: MemberTask | None, start: Initial) -> MemberCard:
        prefix = f"m-{member.public_id}"
        data = self.data
        if data is not None:
            present = bool(data.get(f"{prefix}-present"))
            answers: Mapping[str, Any] = {
                item.link_id: data.get(f"{prefix}-{item.link_id}", "") for item in self.items
            }
            review = str(data.get(f"{prefix}-review", ""))
            task_text = str(data.get(f"{prefix}-task", ""))
            area = str(data.get(f"{prefix}-area", ""))
        else:
            present = start.present.get(member.pk, True)
            answers = start.answers.get(member.pk, {})
            review = start.reviews.get(member.pk, "")
            task_text = start.tasks.get(member.pk, "")
            area = ""
        questions = [
            Question(
                link_id=item.link_id,
                number=question_number(item),
                text=item.text,
                name=f"{prefix}-{item.link_id}",
                value=_text(answers.get(item.link_id)),
                is_risk=item.is_risk,
            )
            for item in self.items
        ]
        return MemberCard(
            member=member,
            prefix=prefix,
            present=present,
            questions=questions,
            previous_task=task,
            review=review,
            task_text=task_text,
            problem_area=area,
            ask_area=not member.problem_area,
        )

    # ---------------------------------------------------------------- parsing

    def parse(self) -> dict[str, Any] | None:
        """The service's arguments, or None (with `errors` set) if the form cannot be read."""
        if self.data is None:
            raise ValueError("Nothing was posted.")
        held_on: datetime.date | None = None
        try:
            held_on = datetime.date.fromisoformat(self.held_on_text)
        except ValueError:
            self._error("held_on", "Enter the date of the session.")
        fidelity: int | None = None
        if self.self_fidelity:
            if self.self_fidelity in FIDELITY_CHOICES:
                fidelity = int(self.self_fidelity)
            else:
                self._error("self_fidelity", "Rate the session from 1 to 5.")
        posted = set(_getlist(self.data, "member"))
        shown = {str(m.public_id) for m in self.members}
        if posted != shown:
            self._error(
                "entries",
                "The group's members changed since this page was opened: check the list "
                "below and save again.",
            )
        if self.errors or held_on is None:
            return None
        entries = [
            MemberEntry(
                member_public_id=card.member.public_id,
                present=card.present,
                # An absent member's answers are not sent: radio buttons cannot be
                # cleared on a phone, and what is shown for them is "not here".
                answers={q.link_id: q.value for q in card.questions} if card.present else {},
                task_text=card.task_text,
                previous_task_outcome=card.review if card.previous_task is not None else "",
                problem_area=card.problem_area if card.ask_area else "",
            )
            for card in self.cards
        ]
        return {
            "held_on": held_on,
            "entries": entries,
            "notes": self.notes,
            "adherence_checked": self.adherence,
            "self_fidelity": fidelity,
            "idempotency_key": self.idempotency_key,
        }

    def _error(self, key: str, message: str) -> None:
        self.errors.setdefault(key, []).append(message)

    def add_service_errors(self, exc: ValidationError) -> None:
        """Put each message next to its member and question, or at the top of the form."""
        by_prefix = {str(card.member.public_id): card for card in self.cards}
        for key, messages in exc.message_dict.items():
            member_id, _sep, name = key.partition(":")
            card = by_prefix.get(member_id) if name else None
            if card is None:
                self.errors.setdefault(key, []).extend(messages)
                continue
            question = next((q for q in card.questions if q.link_id == name), None)
            if question is not None:
                question.errors.extend(messages)
            else:
                card.errors.setdefault(name, []).extend(messages)

    # ---------------------------------------------------------------- for the template

    @property
    def problem_count(self) -> int:
        top = sum(len(v) for v in self.errors.values())
        return top + sum(1 for card in self.cards if card.has_errors)

    def top_errors(self) -> list[str]:
        return [m for messages in self.errors.values() for m in messages]

    def adherence_rows(self) -> list[tuple[str, str, bool]]:
        ticked = set(self.adherence)
        return [(item.code, item.text, item.code in ticked) for item in self.adherence_items]

    def fidelity_rows(self) -> list[tuple[str, bool]]:
        return [(value, value == self.self_fidelity) for value in FIDELITY_CHOICES]


def _getlist(data: Mapping[str, Any], name: str) -> list[str]:
    getlist = getattr(data, "getlist", None)
    if getlist is not None:
        return [str(v) for v in getlist(name)]
    value = data.get(name)
    if value is None:
        return []
    return [str(v) for v in value] if isinstance(value, list | tuple) else [str(value)]


def _text(value: object) -> str:
    return "" if value is None else str(value)
