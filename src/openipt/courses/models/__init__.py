"""An IPT course and everything recorded in it. One module per part of the course."""

from openipt.courses.models.course import (
    Course,
    CourseStatus,
    CourseTaskMark,
    PhaseBoundaryChange,
    PhaseTransition,
)
from openipt.courses.models.formulation import (
    AgreementChannel,
    Contract,
    FocusArea,
    Formulation,
    Goal,
)
from openipt.courses.models.inventory import (
    CirclePlacement,
    CircleVersion,
    ContactFrequency,
    InventoryPerson,
    RelationshipKind,
    YesNoUnsure,
)
from openipt.courses.models.medication import Medication, MedicationAdherence, MedicationChange
from openipt.courses.models.sessions import (
    Attendance,
    Experiment,
    ExperimentStatus,
    NoteDraft,
    ProcessNote,
    Session,
    TechniqueUse,
)
from openipt.courses.models.termination import (
    NextStep,
    OutcomeCategory,
    ProblemReview,
    TerminationReview,
)
from openipt.courses.models.timeline import LifeEvent, LifeEventKind

__all__ = [
    "AgreementChannel",
    "Attendance",
    "CirclePlacement",
    "CircleVersion",
    "ContactFrequency",
    "Contract",
    "Course",
    "CourseStatus",
    "CourseTaskMark",
    "Experiment",
    "ExperimentStatus",
    "FocusArea",
    "Formulation",
    "Goal",
    "InventoryPerson",
    "LifeEvent",
    "LifeEventKind",
    "Medication",
    "MedicationAdherence",
    "MedicationChange",
    "NextStep",
    "NoteDraft",
    "OutcomeCategory",
    "PhaseBoundaryChange",
    "PhaseTransition",
    "ProblemReview",
    "ProcessNote",
    "RelationshipKind",
    "Session",
    "TechniqueUse",
    "TerminationReview",
    "YesNoUnsure",
]
