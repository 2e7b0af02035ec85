"""Settings for the test suite: production settings with test-only secrets.

Everything else (argon2, CSP, session limits, encryption) is the real thing.
DATABASE_URL picks PostgreSQL; without it the suite runs on a SQLite *file*
(not :memory:) so that the encryption canary can inspect the file and its WAL.
"""

import os
import tempfile

os.environ.setdefault("OPENIPT_SECRET_KEY", "test-only-secret-key-not-for-any-real-deployment")
os.environ.setdefault("OPENIPT_ALLOWED_HOSTS", "testserver,localhost,127.0.0.1")
os.environ.setdefault("OPENIPT_HTTPS", "false")
os.environ.setdefault("OPENIPT_CACHE_URL", "locmem://")
# A fixed key that exists only for tests; tests of rotation add their own.
os.environ.setdefault("OPENIPT_ENCRYPTION_KEYS", "6mNXqV0eGqfS2t8GbqP3tV1QwJXc4yV2nH8oC1l7q0Q=")
os.environ.setdefault("OPENIPT_DATA_DIR", os.path.join(tempfile.gettempdir(), "openipt-tests"))

from openipt.settings import *  # noqa: F403
from openipt.settings import DATA_DIR, DATABASES

if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"]["TEST"] = {"NAME": str(DATA_DIR / "test-openipt.sqlite3")}

EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
# Tests serve static files straight from the source tree (no collectstatic).
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = True
