"""Reads of course data, always scoped to the actor (see `access`)."""

from openipt.courses.selectors.access import (
    can_write_course,
    course_get_for_actor,
    course_get_for_writing,
    courses_visible_to,
)

__all__ = [
    "can_write_course",
    "course_get_for_actor",
    "course_get_for_writing",
    "courses_visible_to",
]
