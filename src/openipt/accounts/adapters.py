"""allauth hooks: OpenIPT is invitation-only."""

from __future__ import annotations

from allauth.account.adapter import DefaultAccountAdapter
from django.http import HttpRequest


class AccountAdapter(DefaultAccountAdapter):  # type: ignore[misc]
    def is_open_for_signup(self, request: HttpRequest) -> bool:
        # Nobody signs themselves up to a clinic's records: people join by
        # an invitation from the practice (see accounts.services).
        return False
