"""Questionnaire (an instrument definition), QuestionnaireResponse (one administration)
and Observation (its total and one per answered item, derived from the response).

Answers are stored as ordinals by linkId; the instrument definition turns them
back into coded answers. Licensed wording a practice has not loaded is left out:
an EPDS or PHQ-A Questionnaire then carries linkIds and codes but no item text.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from uuid import UUID

from openipt.fhir.codes import (
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
    administration: MeasureAdministration,
    instrument: Instrument,
    *,
    client_id: UUID,
    encounter_id: UUID | None,
) -> Json:
    answers = administration.answers if isinstance(administration.answers, dict) else {}
    result: Json = {
        "resourceType": "QuestionnaireResponse",
        "id": str(administration.public_id),
        "identifier": identifier(administration.public_id),
        "questionnaire": f"{questionnaire_url(instrument)}|{instrument.version}",
        # A correction replaces the row it corrects; only current rows are exported.
        "status": "amended" if administration.supersedes_id else "completed",
        "subject": ref("Patient", client_id),
        "authored": instant(administration.administered_at),
        "item": [
            {"linkId": item.link_id, "answer": [{"valueCoding": answer_coding(instrument, option)}]}
            for item, option in _answered(instrument, answers)
        ],
    }
    if administration.mode == "portal":
        result["source"] = ref("Patient", client_id)
    if encounter_id is not None:
        result["encounter"] = ref("Encounter", encounter_id)
    return result


def observations(
    administration: MeasureAdministration,
    instrument: Instrument,
    *,
    client_id: UUID,
    encounter_id: UUID | None,
) -> list[Json]:
    """The total score first, then one Observation per answered item."""
    answers = administration.answers if isinstance(administration.answers, dict) else {}
    status = "amended" if administration.supersedes_id else "final"
    common: Json = {
        "status": status,
        "category": [SURVEY],
        "subject": ref("Patient", client_id),
        "effectiveDateTime": instant(administration.administered_at),
        "derivedFrom": [ref("QuestionnaireResponse", administration.public_id)],
    }
    if encounter_id is not None:
        common["encounter"] = ref("Encounter", encounter_id)
    items: list[Json] = []
    for item, option in _answered(instrument, answers):
        codings = [coding(ITEM_SYSTEM, item.link_id)]
        if item.loinc:
            codings.insert(0, coding(LOINC, item.loinc))
        observation: Json = {
            "resourceType": "Observation",
            "id": item_observation_id(administration.public_id, item.link_id),
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
        "id": str(administration.public_id),
        "identifier": [identifier(administration.public_id)],
        **common,
        "code": {"coding": total_codings, "text": f"{instrument.short_title} total score"},
        "valueInteger": administration.total,
    }
    band = next((b for b in instrument.bands if b.code == administration.band_code), None)
    if band is not None:
        total["interpretation"] = [{"text": band.label}]
    if items:
        total["hasMember"] = [ref("Observation", o["id"]) for o in items]
    return [total, *items]
