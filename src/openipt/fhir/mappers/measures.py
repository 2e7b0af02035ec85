"""Questionnaire (an instrument definition), QuestionnaireResponse (one administration)
and Observation (its total and one per answered item, derived from the response).

Answers are stored as ordinals by linkId; the instrument definition turns them
back into coded answers. Licensed wording a practice has not loaded is left out:
an EPDS or PHQ-A Questionnaire then carries linkIds and codes but no item text.

The response and observation mappers take `Answered`, plain data that any
scored questionnaire row gives (`from_administration` for an individual
course's administration, `groups.from_member_score` for a group member's PHQ-9),
so both are exported by the same code.
"""

from __future__ import annotations

import datetime
import re
from collections.abc import Mapping
from dataclasses import dataclass
from uuid import UUID

from openipt.fhir.codes import (
    EXT_SCORE_CONTEXT,
    INSTRUMENT_TOTAL_SYSTEM,
    ITEM_SYSTEM,
    LOINC,
    OBSERVATION_CATEGORY,
    QUESTIONNAIRE_BASE,
    answer_system,
    derived_id,
)
from openipt.fhir.mappers.common import Json, coding, identifier, instant, ref
from openipt.measures.engine import AnswerOption, Instrument, Item
from openipt.measures.models import MeasureAdministration

SURVEY = {"coding": [coding(OBSERVATION_CATEGORY, "survey", "Survey")]}


@dataclass(frozen=True)
class Answered:
    """One scored questionnaire, whatever row it is stored in.

    `amended`: a correction that replaced an earlier row (exported as amended).
    `self_reported`: the patient answered it themselves (the portal).
    """

    id: UUID
    answers: Mapping[str, object]
    total: int
    band_code: str
    administered_at: datetime.datetime
    amended: bool = False
    self_reported: bool = False


def from_administration(administration: MeasureAdministration) -> Answered:
    """An individual course's administration as plain data (reads its own columns only)."""
    answers = administration.answers
    return Answered(
        id=administration.public_id,
        answers=answers if isinstance(answers, dict) else {},
        total=administration.total,
        band_code=administration.band_code,
        administered_at=administration.administered_at,
        # A correction replaces the row it corrects; only current rows are exported.
        amended=administration.supersedes_id is not None,
        self_reported=administration.mode == "portal",
    )


def questionnaire_id(instrument: Instrument) -> str:
    return derived_id("questionnaire", instrument.code, instrument.version)


def questionnaire_url(instrument: Instrument) -> str:
    return f"{QUESTIONNAIRE_BASE}/{instrument.code}"


def item_observation_id(administration_id: UUID, link_id: str) -> str:
    return derived_id("item-observation", administration_id, link_id)


def computable_name(instrument: Instrument) -> str:
    """Questionnaire.name must start with a capital letter and hold letters, digits, _."""
    name = re.sub(r"[^A-Za-z0-9_]", "", instrument.short_title) or instrument.code.upper()
    return name if name[0].isupper() else f"Q{name}"


def answer_coding(instrument: Instrument, option: AnswerOption) -> Json:
    # "LA…" codes are LOINC answer codes; anything else is the instrument's own.
    system = LOINC if option.code.startswith("LA") else answer_system(instrument.code)
    return coding(system, option.code, option.display)


def questionnaire(instrument: Instrument) -> Json:
    result: Json = {
        "resourceType": "Questionnaire",
        "id": questionnaire_id(instrument),
        "url": questionnaire_url(instrument),
        "version": instrument.version,
        "name": computable_name(instrument),
        "title": instrument.title,
        "status": "active",
        "subjectType": ["Patient"],
        "item": [_questionnaire_item(instrument, item) for item in instrument.items],
    }
    if instrument.loinc_panel:
        result["code"] = [coding(LOINC, instrument.loinc_panel, instrument.short_title)]
    if instrument.licence_notice:
        result["copyright"] = instrument.licence_notice
    return result


def _questionnaire_item(instrument: Instrument, item: Item) -> Json:
    result: Json = {"linkId": item.link_id, "type": "choice", "required": item.required}
    if item.text:
        result["text"] = item.text
    if item.loinc:
        result["code"] = [coding(LOINC, item.loinc)]
    result["answerOption"] = [
        {"valueCoding": answer_coding(instrument, option)} for option in item.options
    ]
    return result


def _answered(
    instrument: Instrument, answers: Mapping[str, object]
) -> list[tuple[Item, AnswerOption]]:
    pairs: list[tuple[Item, AnswerOption]] = []
    for item in instrument.items:
        value = answers.get(item.link_id)
        if not isinstance(value, int) or isinstance(value, bool):
            continue
        option = item.option_for_ordinal(value)
        if option is not None:
            pairs.append((item, option))
    return pairs


def questionnaire_response(
    answered: Answered,
    instrument: Instrument,
    *,
    client_id: UUID,
    encounter_id: UUID | None,
    author_id: UUID | None = None,
    context: Json | None = None,
) -> Json:
    """`author_id`: the Practitioner who entered the answers, where known. `context`: a
    Coding of our score-context system (screening, group session), as an extension."""
    result: Json = {"resourceType": "QuestionnaireResponse", "id": str(answered.id)}
    if context is not None:
        result["extension"] = [{"url": EXT_SCORE_CONTEXT, "valueCoding": context}]
    result |= {
        "identifier": identifier(answered.id),
        "questionnaire": f"{questionnaire_url(instrument)}|{instrument.version}",
        "status": "amended" if answered.amended else "completed",
        "subject": ref("Patient", client_id),
        "authored": instant(answered.administered_at),
        "item": [
            {"linkId": item.link_id, "answer": [{"valueCoding": answer_coding(instrument, option)}]}
            for item, option in _answered(instrument, answered.answers)
        ],
    }
    if author_id is not None:
        result["author"] = ref("Practitioner", author_id)
    if answered.self_reported:
        result["source"] = ref("Patient", client_id)
    if encounter_id is not None:
        result["encounter"] = ref("Encounter", encounter_id)
    return result


def observations(
    answered: Answered,
    instrument: Instrument,
    *,
    client_id: UUID,
    encounter_id: UUID | None,
    context: Json | None = None,
) -> list[Json]:
    """The total score first, then one Observation per answered item. `context` (a
    score-context Coding) becomes a second category beside `survey`."""
    category = [SURVEY] if context is None else [SURVEY, {"coding": [context]}]
    common: Json = {
        "status": "amended" if answered.amended else "final",
        "category": category,
        "subject": ref("Patient", client_id),
        "effectiveDateTime": instant(answered.administered_at),
        "derivedFrom": [ref("QuestionnaireResponse", answered.id)],
    }
    if encounter_id is not None:
        common["encounter"] = ref("Encounter", encounter_id)
    items: list[Json] = []
    for item, option in _answered(instrument, answered.answers):
        codings = [coding(ITEM_SYSTEM, item.link_id)]
        if item.loinc:
            codings.insert(0, coding(LOINC, item.loinc))
        observation: Json = {
            "resourceType": "Observation",
            "id": item_observation_id(answered.id, item.link_id),
            **common,
            "code": {"coding": codings, "text": f"{instrument.short_title} {item.link_id}"},
            "valueCodeableConcept": {"coding": [answer_coding(instrument, option)]},
        }
        items.append(observation)
    total_codings = [coding(INSTRUMENT_TOTAL_SYSTEM, instrument.code, instrument.short_title)]
    if instrument.loinc_total:
        total_codings.insert(0, coding(LOINC, instrument.loinc_total))
    total: Json = {
        "resourceType": "Observation",
        "id": str(answered.id),
        "identifier": [identifier(answered.id)],
        **common,
        "code": {"coding": total_codings, "text": f"{instrument.short_title} total score"},
        "valueInteger": answered.total,
    }
    band = next((b for b in instrument.bands if b.code == answered.band_code), None)
    if band is not None:
        total["interpretation"] = [{"text": band.label}]
    if items:
        total["hasMember"] = [ref("Observation", o["id"]) for o in items]
    return [total, *items]
