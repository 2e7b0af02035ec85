"""IPT techniques recorded per session; some carry structured fields.

A session note ticks the techniques used; the ones with `structured_fields`
(communication analysis, decision analysis, role play, interpersonal
experiments) also keep a short record in those fields. Descriptions are ours.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum

from openipt.protocol.errors import ProtocolError


class TechniqueCode(StrEnum):
    EXPLORATORY_QUESTIONS = "exploratory_questions"
    DIRECT_ELICITATION = "direct_elicitation"
    ENCOURAGEMENT_OF_AFFECT = "encouragement_of_affect"
    CLARIFICATION = "clarification"
    COMMUNICATION_ANALYSIS = "communication_analysis"
    DECISION_ANALYSIS = "decision_analysis"
    ROLE_PLAY = "role_play"
    THERAPEUTIC_RELATIONSHIP = "therapeutic_relationship"
    INTERPERSONAL_EXPERIMENT = "interpersonal_experiment"


@dataclass(frozen=True)
class Technique:
    code: str
    name: str
    description: str
    structured_fields: tuple[tuple[str, str], ...] = ()  # (field code, label)

    @property
    def field_codes(self) -> tuple[str, ...]:
        return tuple(code for code, _label in self.structured_fields)


_TECHNIQUE_LIST: tuple[Technique, ...] = (
    Technique(
        TechniqueCode.EXPLORATORY_QUESTIONS,
        "Exploratory questions",
        "Open questions that let the client lead the way into a subject.",
    ),
    Technique(
        TechniqueCode.DIRECT_ELICITATION,
        "Direct elicitation",
        "Specific questions to fill in what is missing: who, when, what exactly happened.",
    ),
    Technique(
        TechniqueCode.ENCOURAGEMENT_OF_AFFECT,
        "Encouragement of affect",
        "Helping the client notice, name, bear and use feelings, including painful ones.",
    ),
    Technique(
        TechniqueCode.CLARIFICATION,
        "Clarification",
        "Reflecting back or pointing out what the client said, including contradictions, "
        "so that it can be looked at.",
    ),
    Technique(
        TechniqueCode.COMMUNICATION_ANALYSIS,
        "Communication analysis",
        "Going through one recent charged exchange step by step to see where it went "
        "wrong and what could be said differently.",
        (
            ("what_said", "What was said"),
            ("what_meant", "What the client meant"),
            ("what_heard", "What the other person heard"),
            ("what_felt", "What each person felt"),
            ("alternatives", "What could be said instead"),
        ),
    ),
    Technique(
        TechniqueCode.DECISION_ANALYSIS,
        "Decision analysis",
        "Working through an interpersonal problem from the options to a choice the client can try.",
        (
            ("problem", "The problem"),
            ("options", "The options"),
            ("pros_cons", "For and against each option"),
            ("choice", "The option chosen"),
            ("rehearsal", "How it was rehearsed"),
        ),
    ),
    Technique(
        TechniqueCode.ROLE_PLAY,
        "Role play",
        "Practising a conversation in the session, with the therapist playing the other "
        "person or the client.",
        (
            ("scenario", "The conversation practised"),
            ("roles", "Who played whom"),
            ("learned", "What the client learned"),
        ),
    ),
    Technique(
        TechniqueCode.THERAPEUTIC_RELATIONSHIP,
        "Use of the therapeutic relationship",
        "Using what happens between client and therapist as an example of how the client "
        "relates to others.",
    ),
    Technique(
        TechniqueCode.INTERPERSONAL_EXPERIMENT,
        "Interpersonal experiment",
        "Between-session work tied to the focus: something the client agrees to try with "
        "someone before the next session, reviewed at the next opening.",
        (
            ("task", "What the client will try"),
            ("with_whom", "With whom"),
            ("outcome", "What happened"),
        ),
    ),
)

TECHNIQUES: Mapping[str, Technique] = {t.code: t for t in _TECHNIQUE_LIST}


def get_technique(code: str) -> Technique:
    try:
        return TECHNIQUES[code]
    except KeyError as exc:
        raise ProtocolError(f"{code!r} is not an IPT technique.") from exc
