"""Django settings for OpenIPT, read from environment variables.

Defaults are the safe ones: debug is off, a secret key and allowed hosts are
required outside debug/demo, and the encryption keys for clinical text are
never derived from SECRET_KEY. See `.env.example` for every variable.
"""

from __future__ import annotations

from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

from openipt.core.env import env_bool, env_int, env_list, env_str

SRC_DIR = Path(__file__).resolve().parent
REPO_DIR = SRC_DIR.parent.parent
DATA_DIR = Path(env_str("OPENIPT_DATA_DIR", str(REPO_DIR / "var")))

DEBUG = env_bool("OPENIPT_DEBUG", default=False)
# Demo mode seeds fictional people and shows the demo banner; it is never a
# production mode, but it does not need a hand-made secret key.
DEMO = env_bool("OPENIPT_DEMO", default=False)

SECRET_KEY = env_str("OPENIPT_SECRET_KEY")
if not SECRET_KEY:
    if not (DEBUG or DEMO):
        raise ImproperlyConfigured(
            "OPENIPT_SECRET_KEY is required outside debug/demo mode. "
            "Generate one with: python -c 'import secrets; print(secrets.token_urlsafe(50))'"
        )
    # Only ever used for local debug/demo runs.
    SECRET_KEY = "insecure-openipt-demo-key-never-use-in-production"  # noqa: S105

ALLOWED_HOSTS = env_list("OPENIPT_ALLOWED_HOSTS")
if not ALLOWED_HOSTS:
    if not (DEBUG or DEMO):
        raise ImproperlyConfigured("OPENIPT_ALLOWED_HOSTS is required outside debug/demo mode.")
    ALLOWED_HOSTS = ["127.0.0.1", "localhost", "[::1]"]
CSRF_TRUSTED_ORIGINS = env_list("OPENIPT_CSRF_TRUSTED_ORIGINS")

INSTALLED_APPS = [
    "openipt.core",
    "openipt.accounts",
    "openipt.practice",
    "openipt.audit",
    "openipt.courses",
    "openipt.measures",
    "openipt.safety",
    "openipt.appointments",
    "openipt.messaging",
    "openipt.portal",
    "openipt.diary",
    "openipt.groups",
    "openipt.api",
    "openipt.fhir",
    "openipt.reports",
    # Only for its bundled API docs assets (served from our own origin).
    "ninja",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django_htmx",
    "django_tasks",
    "django_tasks_db",
    "allauth",
    "allauth.account",
    "allauth.mfa",
]

MIDDLEWARE = [
    "openipt.core.middleware.RequestIdMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "openipt.core.middleware.SecurityHeadersMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    # The client's language from their record (not the browser); staff see English.
    "openipt.portal.middleware.ClientLanguageMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    "openipt.practice.middleware.PracticeContextMiddleware",
    "openipt.accounts.middleware.SessionTimeoutMiddleware",
    "openipt.accounts.middleware.StaffMfaRequiredMiddleware",
]

ROOT_URLCONF = "openipt.urls"
WSGI_APPLICATION = "openipt.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [SRC_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "openipt.practice.context_processors.practice_context",
                "openipt.core.context_processors.site",
            ],
        },
    },
]

# --- Database --------------------------------------------------------------
# SQLite by default, tuned for durability: WAL so readers never block the
# writer, synchronous=FULL so an acknowledged save survives power loss, and
# IMMEDIATE transactions so concurrent writers queue instead of failing with
# "database is locked" half-way through a request.
DATA_DIR.mkdir(parents=True, exist_ok=True)
DATABASE_URL = env_str("DATABASE_URL") or f"sqlite:///{DATA_DIR / 'openipt.sqlite3'}"
DATABASES = {"default": dj_database_url.parse(DATABASE_URL, conn_max_age=60)}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    DATABASES["default"]["OPTIONS"] = {
        "init_command": (
            "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; "
            "PRAGMA foreign_keys=ON; PRAGMA busy_timeout=10000;"
        ),
        "transaction_mode": "IMMEDIATE",
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Cache (rate limits, lockout counters) ----------------------------------
# The database cache is shared by every worker process, which login
# throttling needs; a single-process locmem cache would let an attacker
# multiply their attempts by the number of workers.
_CACHE_URL = env_str("OPENIPT_CACHE_URL", "db://openipt_cache")
if _CACHE_URL.startswith("redis://"):
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": _CACHE_URL,
        }
    }
elif _CACHE_URL.startswith("locmem://"):
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
elif _CACHE_URL.startswith("db://"):
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.db.DatabaseCache",
            "LOCATION": _CACHE_URL.removeprefix("db://") or "openipt_cache",
        }
    }
else:
    raise ImproperlyConfigured("OPENIPT_CACHE_URL must start with db://, redis:// or locmem://.")

# --- Accounts ---------------------------------------------------------------
AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = ["allauth.account.auth_backends.AuthenticationBackend"]
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 12},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "account_login"

ACCOUNT_ADAPTER = "openipt.accounts.adapters.AccountAdapter"
ACCOUNT_USER_MODEL_USERNAME_FIELD = None
ACCOUNT_LOGIN_METHODS = {"email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "password1*", "password2*"]
ACCOUNT_EMAIL_VERIFICATION = "mandatory"
ACCOUNT_UNIQUE_EMAIL = True
# Never tell a visitor whether an e-mail address has an account.
ACCOUNT_PREVENT_ENUMERATION = True
ACCOUNT_LOGOUT_ON_GET = False
ACCOUNT_LOGOUT_ON_PASSWORD_CHANGE = True
ACCOUNT_LOGIN_ON_PASSWORD_RESET = False
ACCOUNT_SESSION_REMEMBER = False
ACCOUNT_PASSWORD_RESET_BY_CODE_ENABLED = False
ACCOUNT_EMAIL_SUBJECT_PREFIX = "[OpenIPT] "
ACCOUNT_RATE_LIMITS = {
    # Five wrong passwords for one account in 15 minutes lock that account out
    # of password login for the rest of the window; 20 per minute per address.
    "login_failed": env_str("OPENIPT_LOGIN_FAILED_RATE", "20/m/ip,5/15m/key"),
    "login": "30/m/ip",
    "reset_password": "20/m/ip,5/h/key",
    "reset_password_from_key": "20/m/ip",
    "change_password": "5/m/user",
}
MFA_SUPPORTED_TYPES = ["totp", "recovery_codes", "webauthn"]
MFA_PASSKEY_LOGIN_ENABLED = False
MFA_TOTP_ISSUER = "OpenIPT"
MFA_WEBAUTHN_ALLOW_INSECURE_ORIGIN = DEBUG

# --- Sessions ----------------------------------------------------------------
STAFF_IDLE_MINUTES = env_int("OPENIPT_STAFF_IDLE_MINUTES", 15, minimum=1)
CLIENT_IDLE_MINUTES = env_int("OPENIPT_CLIENT_IDLE_MINUTES", 30, minimum=1)
SESSION_ABSOLUTE_HOURS = env_int("OPENIPT_SESSION_ABSOLUTE_HOURS", 12, minimum=1)
SESSION_ENGINE = "django.contrib.sessions.backends.db"
SESSION_COOKIE_AGE = SESSION_ABSOLUTE_HOURS * 3600
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_HTTPONLY = True

INVITATION_VALID_DAYS = env_int("OPENIPT_INVITATION_VALID_DAYS", 7, minimum=1)

# --- Transport security ----------------------------------------------------
# OPENIPT_HTTPS says the site is served over TLS (directly or behind a proxy
# that sets X-Forwarded-Proto); it turns on secure cookies, redirects and HSTS.
HTTPS = env_bool("OPENIPT_HTTPS", default=not (DEBUG or DEMO))
SESSION_COOKIE_SECURE = HTTPS
CSRF_COOKIE_SECURE = HTTPS
SECURE_SSL_REDIRECT = HTTPS
SECURE_HSTS_SECONDS = 31536000 if HTTPS else 0
SECURE_HSTS_INCLUDE_SUBDOMAINS = HTTPS
SECURE_HSTS_PRELOAD = HTTPS
if env_bool("OPENIPT_BEHIND_PROXY", default=False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"

# --- Clinical text encryption ---------------------------------------------
# Keys live outside the database: OPENIPT_ENCRYPTION_KEYS (comma-separated,
# newest first) or a file named by OPENIPT_ENCRYPTION_KEY_FILE (one key per
# line, newest first). See docs/operations.md for rotation.
ENCRYPTION_KEYS = env_list("OPENIPT_ENCRYPTION_KEYS")
ENCRYPTION_KEY_FILE = env_str("OPENIPT_ENCRYPTION_KEY_FILE")

# --- I18n ----------------------------------------------------------------------
LANGUAGE_CODE = "en"
# The languages the portal ships translations for (src/openipt/locale).
LANGUAGES = [("en", "English"), ("es", "Español")]
LOCALE_PATHS = [SRC_DIR / "locale"]
# Languages a client record can name (the portal speaks those it has translations for).
CLIENT_LANGUAGES = [
    ("en", "English"),
    ("es", "Español"),
    ("fr", "Français"),
    ("de", "Deutsch"),
    ("pt", "Português"),
    ("it", "Italiano"),
    ("nl", "Nederlands"),
    ("pl", "Polski"),
    ("ar", "العربية"),
    ("zh-hans", "中文 (简体)"),
    ("sw", "Kiswahili"),
    ("other", "Other"),
]
TIME_ZONE = env_str("OPENIPT_TIME_ZONE", "UTC")
USE_I18N = True
USE_TZ = True

# --- Static files -------------------------------------------------------------
STATIC_URL = "/static/"
STATIC_ROOT = DATA_DIR / "static"
# The project-wide static files (Pico, openipt.css/js) live beside settings.py,
# not in an installed app, so the app-directories finder alone misses them.
STATICFILES_DIRS = [SRC_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG or DEMO
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}
WHITENOISE_USE_FINDERS = DEBUG or DEMO

# --- E-mail ------------------------------------------------------------------
# Background work (notification delivery, alert escalation) goes through the
# django-tasks API. The default backend keeps the queue in our own database and
# is worked by `manage.py db_worker`; the same task code runs on another
# backend when one machine is not enough.
TASKS = {
    "default": {
        "BACKEND": env_str("OPENIPT_TASKS_BACKEND", "django_tasks_db.DatabaseBackend"),
        "QUEUES": ["default"],
    }
}

EMAIL_BACKEND = env_str(
    "OPENIPT_EMAIL_BACKEND",
    "django.core.mail.backends.console.EmailBackend"
    if DEBUG or DEMO
    else "django.core.mail.backends.smtp.EmailBackend",
)
EMAIL_HOST = env_str("OPENIPT_EMAIL_HOST", "localhost")
EMAIL_PORT = env_int("OPENIPT_EMAIL_PORT", 25)
EMAIL_HOST_USER = env_str("OPENIPT_EMAIL_HOST_USER")
EMAIL_HOST_PASSWORD = env_str("OPENIPT_EMAIL_HOST_PASSWORD")
EMAIL_USE_TLS = env_bool("OPENIPT_EMAIL_USE_TLS", default=False)
DEFAULT_FROM_EMAIL = env_str("OPENIPT_DEFAULT_FROM_EMAIL", "OpenIPT <no-reply@localhost>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL
# Only read by the file-based backend (django.core.mail.backends.filebased.EmailBackend).
EMAIL_FILE_PATH = env_str("OPENIPT_EMAIL_FILE_PATH", str(DATA_DIR / "mail"))

# The address people use to reach this site, for the links in e-mails that the
# background worker sends (it has no request to take the address from), e.g.
# https://openipt.clinic.example. Default: the first allowed host.
BASE_URL = env_str("OPENIPT_BASE_URL").rstrip("/")
if not BASE_URL:
    _first_host = ALLOWED_HOSTS[0].lstrip(".")
    if HTTPS:
        BASE_URL = f"https://{_first_host}"
    else:
        BASE_URL = f"http://{_first_host}" + (":8000" if DEBUG or DEMO else "")

# How many days a questionnaire sent to a client's portal stays open, unless the
# clinician chooses otherwise when sending it.
MEASURE_REQUEST_VALID_DAYS = env_int("OPENIPT_MEASURE_REQUEST_VALID_DAYS", 7, minimum=1)

# Hours before an appointment that the client's reminder e-mail is sent (0: no reminders).
REMINDER_HOURS = env_int("OPENIPT_REMINDER_HOURS", 24, minimum=0)

# Files clients and clinicians attach to secure messages: kept encrypted under
# DATA_DIR/attachments (never under STATIC_ROOT or any served directory) and
# given out only as downloads to the members of the thread.
ATTACHMENT_DIR = DATA_DIR / "attachments"
ATTACHMENT_MAX_BYTES = env_int("OPENIPT_ATTACHMENT_MAX_BYTES", 5 * 1024 * 1024, minimum=1)

# --- Logging -------------------------------------------------------------------
# Log lines carry request ids and public UUIDs only: never names, e-mail
# addresses, tokens or clinical text. Request paths never contain them either.
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"request_id": {"()": "openipt.core.logging.RequestIdFilter"}},
    "formatters": {
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"}
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": "plain",
            "filters": ["request_id"],
        }
    },
    "root": {"handlers": ["console"], "level": env_str("OPENIPT_LOG_LEVEL", "INFO")},
    "loggers": {
        # django.server (runserver) logs full request lines; keep it quiet
        # so invitation and reset links are never written to a log.
        "django.server": {"level": "ERROR"},
        # WeasyPrint narrates every step of every PDF at INFO; only its problems matter.
        "weasyprint": {"level": "WARNING"},
        "fontTools": {"level": "WARNING"},
    },
}
