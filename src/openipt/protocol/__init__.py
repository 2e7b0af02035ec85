"""The IPT protocol as pure Python: variants, phases, tasks, the gate, problem areas,
techniques, adherence items and the session agenda.

No Django, no ORM, no I/O: the `courses` app builds a `CourseState` snapshot from
the database and asks this package what IPT says about it. See
docs/clinical-model.md for the clinical picture in plain words.
"""
