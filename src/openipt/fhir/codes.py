"""Code systems, extension URLs and identifier systems of the FHIR export.

Our own code systems live under https://openipt.org/fhir/ and are published in
docs/fhir.md; standard ones (LOINC, HL7 terminology) are named here once so
that every mapper spells them the same way.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping

from openipt.protocol.problem_areas import PROBLEM_AREAS, ProblemAreaCode

BASE = "https://openipt.org/fhir"

# --- our code systems -------------------------------------------------------------------
PROBLEM_AREA_SYSTEM = f"{BASE}/CodeSystem/ipt-problem-area"
VARIANT_SYSTEM = f"{BASE}/CodeSystem/ipt-variant"
ATTENDANCE_SYSTEM = f"{BASE}/CodeSystem/session-attendance"
FLAG_SYSTEM = f"{BASE}/CodeSystem/flag"
INSTRUMENT_TOTAL_SYSTEM = f"{BASE}/CodeSystem/instrument-total"
ITEM_SYSTEM = f"{BASE}/CodeSystem/questionnaire-item"
CARE_TEAM_ROLE_SYSTEM = f"{BASE}/CodeSystem/care-team-role"
STAFF_ROLE_SYSTEM = f"{BASE}/CodeSystem/staff-role"
# Why a questionnaire was answered, where it was not in an individual course:
# "screening" (for a group programme) or "group-session" (at a group IPT session).
SCORE_CONTEXT_SYSTEM = f"{BASE}/CodeSystem/score-context"
QUESTIONNAIRE_BASE = f"{BASE}/Questionnaire"


def answer_system(instrument_code: str) -> str:
    """Answer codes that are not LOINC answer codes (EPDS "a"…"d"): per instrument."""
    return f"{BASE}/CodeSystem/{instrument_code}-answer"


# --- our extensions -----------------------------------------------------------------------
EXT_SESSION_NUMBER = f"{BASE}/StructureDefinition/session-number"
EXT_SESSION_PHASE = f"{BASE}/StructureDefinition/session-phase"
EXT_ATTENDANCE = f"{BASE}/StructureDefinition/session-attendance"
EXT_GOAL_RATING_START = f"{BASE}/StructureDefinition/goal-rating-at-start"
EXT_GOAL_RATING_NOW = f"{BASE}/StructureDefinition/goal-rating-now"
EXT_DISPUTE_STAGE = f"{BASE}/StructureDefinition/dispute-stage"
EXT_SCORE_CONTEXT = f"{BASE}/StructureDefinition/score-context"

# --- identifier systems -------------------------------------------------------------------
ID_SYSTEM = f"{BASE}/sid/public-id"

# --- standard systems ---------------------------------------------------------------------
LOINC = "http://loinc.org"
OBSERVATION_CATEGORY = "http://terminology.hl7.org/CodeSystem/observation-category"
CONDITION_CATEGORY = "http://terminology.hl7.org/CodeSystem/condition-category"
CONDITION_CLINICAL = "http://terminology.hl7.org/CodeSystem/condition-clinical"
CONDITION_VERIFICATION = "http://terminology.hl7.org/CodeSystem/condition-ver-status"
GOAL_ACHIEVEMENT = "http://terminology.hl7.org/CodeSystem/goal-achievement"
FLAG_CATEGORY = "http://terminology.hl7.org/CodeSystem/flag-category"
ACT_CODE = "http://terminology.hl7.org/CodeSystem/v3-ActCode"
PARTICIPATION_TYPE = "http://terminology.hl7.org/CodeSystem/v3-ParticipationType"

# Deterministic ids for resources that have no row of their own (the care team,
# the care plan, item observations, questionnaires): uuid5 of the row they come
# from, so a re-export gives the same id and nothing can be guessed from it.
_NAMESPACE = uuid.UUID("7b1f6f3e-4c1d-5b9a-9a51-0d3c1e0f1a2b")


def derived_id(kind: str, *parts: object) -> str:
    return str(uuid.uuid5(_NAMESPACE, ":".join([kind, *(str(p) for p in parts)])))


def problem_area_concepts() -> Mapping[str, str]:
    """Our problem-area code system: code → display (the protocol's default labels)."""
    return {code.value: PROBLEM_AREAS[code].label for code in ProblemAreaCode}
