"""Client-facing words kept as data in other apps, listed here so `make messages` finds them.

The safety plan's section headings are stored in `openipt.safety.models`
(PLAN_SECTIONS) and translated where the client's plan is shown
(`{% translate heading %}`); makemessages cannot see a variable, so the
headings are repeated here. A test fails if a heading changes there without
a translation.
"""

from django.utils.translation import gettext_noop

SAFETY_PLAN_HEADINGS = (
    gettext_noop("Warning signs"),
    gettext_noop("Things I can do on my own"),
    gettext_noop("People and places that take my mind off things"),
    gettext_noop("People I can ask for help"),
    gettext_noop("Professionals and crisis lines"),
    gettext_noop("Making my surroundings safe"),
)
