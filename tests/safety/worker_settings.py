"""Settings for the worker subprocesses of test_worker.py: the test settings, but the
e-mail backend comes from OPENIPT_EMAIL_BACKEND (tests.settings pins locmem, which a
separate process could not report back from)."""

import os

from tests.settings import *  # noqa: F403
from tests.settings import EMAIL_BACKEND

EMAIL_BACKEND = os.environ.get("OPENIPT_EMAIL_BACKEND", EMAIL_BACKEND)
