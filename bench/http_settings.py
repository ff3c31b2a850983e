"""Settings for the HTTP bench's gunicorn: the real settings, plus one URL that is only for comparison."""

from config.settings import *  # noqa: F403

ROOT_URLCONF = "bench.http_urls"
LOGGING = {"version": 1, "disable_existing_loggers": False, "root": {"level": "WARNING"}}
