"""The vocabulary of the access matrix: roles, outcomes and entries."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from tests.world import World

ROLES = (
    "anonymous",
    "clinician",
    "colleague",
    "supervisor",
    "facilitator",
    "admin",
    "client",
    "clinician_b",
    "client_b",
    "programme_manager",
)
STAFF_A = ("clinician", "colleague", "supervisor", "facilitator", "admin")
SIGNED_IN = tuple(r for r in ROLES if r != "anonymous")

LOGIN = "login"
REDIRECT = "redirect"
Outcome = int | str


def outcomes(
    default: Outcome, *, anonymous: Outcome = LOGIN, **overrides: Outcome
) -> dict[str, Outcome]:
    table = dict.fromkeys(ROLES, default)
    table["anonymous"] = anonymous
    for role, outcome in overrides.items():
        assert role in ROLES, role
        table[role] = outcome
    return table


def _no_args(world: World) -> dict[str, Any]:
    return {}


@dataclass(frozen=True)
class Entry:
    expect: Mapping[str, Outcome]
    method: str = "GET"
    args: Callable[[World], dict[str, Any]] = _no_args
    data: Callable[[World], dict[str, Any]] = field(default=_no_args)
