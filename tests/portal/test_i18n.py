"""The portal in the client's language: the Spanish catalogue and its use.

The compiled catalogue (.mo) is committed so that neither the app nor the
suite needs gettext; these tests check it is complete and matches the .po.
"""

from __future__ import annotations

import gettext
import shutil
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command
from django.test import override_settings
from django.urls import reverse
from django.utils import timezone, translation

from openipt.safety.models import PLAN_SECTIONS
from tests.portal.helpers import ClientFor, build_plan
from tests.portal.po import parse_po
from tests.world import World

LOCALE_DIR = Path(settings.LOCALE_PATHS[0])
PO = LOCALE_DIR / "es" / "LC_MESSAGES" / "django.po"
MO = LOCALE_DIR / "es" / "LC_MESSAGES" / "django.mo"


def test_every_entry_of_the_spanish_catalogue_is_translated() -> None:
    entries = parse_po(PO)
    assert len(entries) > 100
    untranslated = [msgid for msgid, _p, strs, _f in entries if not all(strs)]
    fuzzy = [msgid for msgid, _p, _s, is_fuzzy in entries if is_fuzzy]
    assert untranslated == []
    assert fuzzy == []


def test_the_compiled_catalogue_matches_the_po_file() -> None:
    """The committed .mo holds exactly the translations of the .po (run `make messages`)."""
    with MO.open("rb") as handle:
        compiled = gettext.GNUTranslations(handle)
    for msgid, plural, strs, _fuzzy in parse_po(PO):
        if plural is None:
            assert compiled.gettext(msgid) == strs[0], msgid
        else:
            assert compiled.ngettext(msgid, plural, 1) == strs[0], msgid
            assert compiled.ngettext(msgid, plural, 5) == strs[-1], msgid


def test_the_catalogue_has_every_marked_string(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Every translatable string in the code is in the .po file (else run `make messages`).

    makemessages runs on a copy of the code, so that it cannot touch the real catalogue.
    """
    assert shutil.which("xgettext"), "makemessages needs gettext's xgettext (make test installs it)"
    copy = tmp_path / "openipt"
    shutil.copytree(
        LOCALE_DIR.parent,
        copy,
        ignore=shutil.ignore_patterns("locale", "static", "__pycache__", "migrations"),
    )
    monkeypatch.chdir(copy)
    with override_settings(LOCALE_PATHS=[tmp_path / "catalogue"]):
        call_command("makemessages", locale=["es"], no_location=True, verbosity=0)
    fresh = parse_po(tmp_path / "catalogue" / "es" / "LC_MESSAGES" / "django.po")
    ours = {msgid for msgid, *_rest in parse_po(PO)}
    assert sorted({msgid for msgid, *_rest in fresh} - ours) == []


def test_safety_plan_headings_are_translated() -> None:
    with translation.override("es"):
        for _name, heading, _help in PLAN_SECTIONS:
            assert translation.gettext(heading) != heading, heading


pytestmark = pytest.mark.django_db


def test_a_spanish_speaking_client_reads_the_portal_in_spanish(
    world: World, client_for: ClientFor
) -> None:
    build_plan(world)
    world.client_1.language = "es"
    world.client_1.save()
    response = client_for(world.client_user_1).get(reverse("portal:home"))
    page = response.content.decode()
    assert response["Content-Language"] == "es"
    assert '<html lang="es"' in page
    assert "Hola, Alice" in page
    assert "Hello, Alice" not in page


def test_a_client_in_an_unshipped_language_reads_english(
    world: World, client_for: ClientFor
) -> None:
    world.client_1.language = "sw"
    world.client_1.save()
    page = client_for(world.client_user_1).get(reverse("portal:home")).content.decode()
    assert "Hello, Alice" in page


def test_staff_keep_english_whatever_their_browser_says(
    world: World, client_for: ClientFor
) -> None:
    world.client_1.language = "es"
    world.client_1.save()
    response = client_for(world.clinician).get(reverse("safety:crisis"), HTTP_ACCEPT_LANGUAGE="es")
    assert response["Content-Language"] == "en"
    assert "If you need help now" in response.content.decode()


def test_the_next_request_does_not_inherit_the_clients_language(
    world: World, client_for: ClientFor
) -> None:
    world.client_1.language = "es"
    world.client_1.save()
    client_for(world.client_user_1).get(reverse("portal:home"))
    response = client_for(None).get(reverse("account_login"))
    assert response["Content-Language"] == "en"


def test_the_diary_date_field_keeps_an_iso_date_in_spanish(
    world: World, client_for: ClientFor
) -> None:
    """A date input only understands 2026-11-27, whatever the page's language."""
    world.client_1.language = "es"
    world.client_1.save()
    page = client_for(world.client_user_1).get(reverse("portal:diary")).content.decode()
    assert f'value="{timezone.localdate().isoformat()}"' in page
    assert "Diario de ánimo" in page
