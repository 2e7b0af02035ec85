"""The demo seed (`make demo`) and demo codes never run outside demo/debug mode.

These checks need an empty database, so they do not share the seeded demo;
what the seed creates, and that a second run changes nothing, is checked in
test_seed_demo_stories.py (seeded once per module).
"""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from pytest_django import Settings

from openipt.accounts.models import User
from openipt.practice.models import Organisation

pytestmark = pytest.mark.django_db


def test_seed_refuses_outside_demo_and_debug_mode(settings: Settings) -> None:
    settings.DEMO = False
    settings.DEBUG = False
    with pytest.raises(CommandError, match="OPENIPT_DEMO"):
        call_command("seed_demo", stdout=StringIO())
    assert not Organisation.objects.exists()
    assert not User.objects.exists()


def test_demo_codes_refuses_outside_demo_and_debug_mode(settings: Settings) -> None:
    settings.DEMO = False
    settings.DEBUG = False
    with pytest.raises(CommandError):
        call_command("demo_codes", stdout=StringIO())
