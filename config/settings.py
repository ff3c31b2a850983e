"""The only settings module of Realname: every value comes from the environment (see .env.example).

Local secrets for `make demo` live in a key file (REALNAME_KEY_FILE, default var/keys.env, mode 0600)
written by `manage.py init_keys`; a variable set in the environment always wins over the file.
"""

from __future__ import annotations

import os
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

from config import keyfile

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(os.environ.get("REALNAME_VAR_DIR", BASE_DIR / "var"))


KEY_FILE = keyfile.default_path()
_FILE_VALUES = keyfile.read(KEY_FILE)


def env(name: str, default: str | None = None) -> str | None:
    """A setting from the environment, then the local key file, then the default."""
    value = os.environ.get(name)
    if value is None:
        value = _FILE_VALUES.get(name, default)
    return value


def env_bool(name: str, default: bool) -> bool:
    value = env(name)
    if value is None or value == "":
        return default
    lowered = value.strip().lower()
    if lowered in {"1", "true", "yes", "on"}:
        return True
    if lowered in {"0", "false", "no", "off"}:
        return False
    raise ImproperlyConfigured(f"{name} must be true or false, not {value!r}")


def env_int(name: str, default: int) -> int:
    value = env(name)
    if value is None or value == "":
        return default
    try:
        return int(value)
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be an integer, not {value!r}") from None


def env_list(name: str, default: str = "") -> list[str]:
    value = env(name, default) or ""
    return [part.strip() for part in value.split(",") if part.strip()]


DEBUG = env_bool("REALNAME_DEBUG", False)
SECRET_KEY = env("DJANGO_SECRET_KEY") or ""
if not SECRET_KEY:
    if DEBUG or os.environ.get("REALNAME_TESTING"):
        SECRET_KEY = "insecure-development-only-key"  # noqa: S105 - never used outside DEBUG/tests
    else:
        raise ImproperlyConfigured(
            "DJANGO_SECRET_KEY is not set: run `python -m config.keyfile` or set it in the environment"
        )

ALLOWED_HOSTS = env_list("REALNAME_ALLOWED_HOSTS", "127.0.0.1,localhost")
CSRF_TRUSTED_ORIGINS = env_list("REALNAME_CSRF_TRUSTED_ORIGINS")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django_htmx",
    "ninja",  # serves the API docs' Swagger UI from its own static files, not a CDN
    "realname.core",
    "realname.accounts",
    "realname.orgs",
    "realname.workers",
    "realname.attendance",
    "realname.ledger",
    "realname.notifications",
    "realname.training",
    "realname.certificates",
    "realname.admission",
    "realname.payroll",
    "realname.bank",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "realname.core.middleware.LanguageMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "realname.core.middleware.RequestContextMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "realname" / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "django.template.context_processors.i18n",
                "realname.notifications.context.inbox",
                "realname.accounts.context.self_service",
            ],
        },
    },
]

DATABASE_URL = env("DATABASE_URL") or f"sqlite:///{VAR_DIR / 'realname.sqlite3'}"
DATABASES = {
    "default": dj_database_url.parse(DATABASE_URL, conn_max_age=env_int("REALNAME_DB_CONN_MAX_AGE", 60))
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL lets the web server read while an import writes; IMMEDIATE avoids lock upgrades mid-transaction.
    DATABASES["default"]["OPTIONS"] = {
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;",
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
    }
    DATABASES["default"]["CONN_MAX_AGE"] = 0
TEST_DATABASE_NAME = env("REALNAME_TEST_DATABASE_NAME")
if TEST_DATABASE_NAME:
    DATABASES["default"]["TEST"] = {"NAME": TEST_DATABASE_NAME}

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "accounts.User"
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "core:home"
LOGOUT_REDIRECT_URL = "accounts:login"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 8}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]

LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "realname" / "locale"]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATICFILES_DIRS = [BASE_DIR / "realname" / "static"]
STATIC_ROOT = Path(env("REALNAME_STATIC_ROOT") or VAR_DIR / "static")
MEDIA_URL = "/media/"
MEDIA_ROOT = Path(env("REALNAME_MEDIA_ROOT") or VAR_DIR / "media")
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"
        if not DEBUG
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}
WHITENOISE_USE_FINDERS = True
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
DATA_UPLOAD_MAX_MEMORY_SIZE = 20 * 1024 * 1024

SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SECURE = env_bool("REALNAME_SECURE_COOKIES", False)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
X_FRAME_OPTIONS = "DENY"

# Sensitive-data keys (docs/security.md). REALNAME_DATA_KEYS: "kid:base64key,..." — the first is used to
# encrypt, all of them decrypt (rotation). REALNAME_INDEX_KEY: base64 key of the HMAC blind index.
REALNAME_DATA_KEYS = env("REALNAME_DATA_KEYS") or ""
REALNAME_INDEX_KEY = env("REALNAME_INDEX_KEY") or ""
# Ed25519 key that signs the attendance ledger's checkpoints (base64 of a 32-byte seed), and the name the
# checkpoints carry ("realname/<origin>"); see realname/ledger/signing.py.
REALNAME_LEDGER_SIGNING_KEY = env("REALNAME_LEDGER_SIGNING_KEY") or ""
REALNAME_LEDGER_ORIGIN = env("REALNAME_LEDGER_ORIGIN") or (ALLOWED_HOSTS[0] if ALLOWED_HOSTS else "localhost")

# Triggers that refuse changes to the audit log (docs/security.md). Only the test suite turns them off.
REALNAME_AUDIT_TRIGGERS = env_bool("REALNAME_AUDIT_TRIGGERS", True)

# A device clock further than this from the server's is flagged on its events (seconds).
REALNAME_CLOCK_SKEW_SECONDS = env_int("REALNAME_CLOCK_SKEW_SECONDS", 300)
# A command a device fetched but never acknowledged is offered again after this many seconds.
REALNAME_DEVICE_COMMAND_RESEND_SECONDS = env_int("REALNAME_DEVICE_COMMAND_RESEND_SECONDS", 600)
# A correction (补卡) may be requested for a punch at most this many days back (the work day's date).
REALNAME_CORRECTION_MAX_DAYS = env_int("REALNAME_CORRECTION_MAX_DAYS", 31)
if REALNAME_CORRECTION_MAX_DAYS < 0:
    raise ImproperlyConfigured("REALNAME_CORRECTION_MAX_DAYS must not be negative")
# When DayRecords follow new punches: "inline" in the ingest transaction (small sites, no worker needed),
# "deferred" by `manage.py worker` in batches after the commit (busy gates; see docs/attendance.md).
REALNAME_DAY_RECOMPUTE = env("REALNAME_DAY_RECOMPUTE") or "inline"
if REALNAME_DAY_RECOMPUTE not in ("inline", "deferred"):
    raise ImproperlyConfigured("REALNAME_DAY_RECOMPUTE must be inline or deferred")
# When gate uploads (ZKTeco ATTLOG, Hikvision pushes) are parsed: "inline" in the request, or "deferred":
# the request stores the raw body and answers at once, `manage.py worker` parses it seconds later in batches.
REALNAME_DEVICE_UPLOADS = env("REALNAME_DEVICE_UPLOADS") or "inline"
if REALNAME_DEVICE_UPLOADS not in ("inline", "deferred"):
    raise ImproperlyConfigured("REALNAME_DEVICE_UPLOADS must be inline or deferred")
# `manage.py worker`: how often each job runs (seconds), and how many past days the nightly close covers.
REALNAME_WORKER_UPLOADS_SECONDS = env_int("REALNAME_WORKER_UPLOADS_SECONDS", 2)
REALNAME_WORKER_DAYS_SECONDS = env_int("REALNAME_WORKER_DAYS_SECONDS", 2)
REALNAME_WORKER_CLOSE_SECONDS = env_int("REALNAME_WORKER_CLOSE_SECONDS", 900)
REALNAME_WORKER_CHECKPOINT_SECONDS = env_int("REALNAME_WORKER_CHECKPOINT_SECONDS", 300)
REALNAME_WORKER_WARNINGS_SECONDS = env_int("REALNAME_WORKER_WARNINGS_SECONDS", 900)
REALNAME_WORKER_DELIVER_SECONDS = env_int("REALNAME_WORKER_DELIVER_SECONDS", 120)
# Admission: queued rechecks, decisions that lapse by themselves, the daily sweep after local midnight.
REALNAME_WORKER_ADMISSION_SECONDS = env_int("REALNAME_WORKER_ADMISSION_SECONDS", 30)
REALNAME_CLOSE_DAYS_BACK = env_int("REALNAME_CLOSE_DAYS_BACK", 3)
# Wage-arrears warnings (realname/payroll/arrears.py): how often the check runs, and from how many days
# before a period's pay day the wage account's funding for that month is compared with the expected cost.
REALNAME_WORKER_ARREARS_SECONDS = env_int("REALNAME_WORKER_ARREARS_SECONDS", 3600)
REALNAME_FUNDING_CHECK_DAYS = env_int("REALNAME_FUNDING_CHECK_DAYS", 10)

# Attendance warnings (realname/attendance/warnings.py, `manage.py attendance_warnings`): a late /
# early-leave / absent streak of this many consecutive work days; this many consecutive days worked without a
# rest day; an enabled gate device not heard from for this many minutes.
REALNAME_WARN_STREAK_DAYS = env_int("REALNAME_WARN_STREAK_DAYS", 3)
REALNAME_WARN_DAYS_WITHOUT_REST = env_int("REALNAME_WARN_DAYS_WITHOUT_REST", 7)
REALNAME_WARN_DEVICE_SILENT_MINUTES = env_int("REALNAME_WARN_DEVICE_SILENT_MINUTES", 60)
for _name, _value in (
    ("REALNAME_WARN_STREAK_DAYS", REALNAME_WARN_STREAK_DAYS),
    ("REALNAME_WARN_DAYS_WITHOUT_REST", REALNAME_WARN_DAYS_WITHOUT_REST),
    ("REALNAME_WARN_DEVICE_SILENT_MINUTES", REALNAME_WARN_DEVICE_SILENT_MINUTES),
):
    if not 1 <= _value <= 10000:
        raise ImproperlyConfigured(f"{_name} must be between 1 and 10000, not {_value}")

# Notifications beyond the in-app inbox (realname/notifications). E-mail through Django's mail API: the
# console backend prints messages (development); production sets the SMTP backend and server.
EMAIL_BACKEND = env("REALNAME_EMAIL_BACKEND") or "django.core.mail.backends.console.EmailBackend"
EMAIL_HOST = env("REALNAME_EMAIL_HOST") or "localhost"
EMAIL_PORT = env_int("REALNAME_EMAIL_PORT", 25)
EMAIL_HOST_USER = env("REALNAME_EMAIL_HOST_USER") or ""
EMAIL_HOST_PASSWORD = env("REALNAME_EMAIL_HOST_PASSWORD") or ""
EMAIL_USE_TLS = env_bool("REALNAME_EMAIL_USE_TLS", False)
EMAIL_USE_SSL = env_bool("REALNAME_EMAIL_USE_SSL", False)
if EMAIL_USE_TLS and EMAIL_USE_SSL:
    raise ImproperlyConfigured("REALNAME_EMAIL_USE_TLS and REALNAME_EMAIL_USE_SSL exclude each other")
EMAIL_TIMEOUT = env_int("REALNAME_EMAIL_TIMEOUT", 20)
DEFAULT_FROM_EMAIL = env("REALNAME_EMAIL_FROM") or "realname@localhost"
# SMS adapter: dotted path of a realname.notifications.sms.SmsBackend subclass (default: log to the console).
REALNAME_SMS_BACKEND = env("REALNAME_SMS_BACKEND") or "realname.notifications.sms.ConsoleBackend"
# This site's address as people reach it (https://realname.example.cn), put before links in e-mails.
REALNAME_SITE_URL = (env("REALNAME_SITE_URL") or "").rstrip("/")

REALNAME_PAGE_SIZE = env_int("REALNAME_PAGE_SIZE", 50)
REALNAME_IMPORT_MAX_ROWS = env_int("REALNAME_IMPORT_MAX_ROWS", 20000)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"redact": {"()": "realname.core.logging.RedactSensitiveNumbers"}},
    "handlers": {
        "console": {"class": "logging.StreamHandler", "filters": ["redact"]},
    },
    "root": {"handlers": ["console"], "level": env("REALNAME_LOG_LEVEL", "INFO")},
    "loggers": {
        "django": {"handlers": ["console"], "level": "INFO", "propagate": False},
        "django.request": {"handlers": ["console"], "level": "ERROR", "propagate": False},
    },
}
DEFAULT_EXCEPTION_REPORTER_FILTER = "realname.core.logging.SensitiveExceptionReporterFilter"

if os.environ.get("REALNAME_TESTING"):
    # Tests log in many personas; a fast hasher keeps that cheap. Never set outside the test suite.
    PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
