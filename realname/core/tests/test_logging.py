from __future__ import annotations

import logging

import pytest

from realname.core.logging import RedactSensitiveNumbers, redact


def test_long_numbers_are_masked_in_log_messages(caplog: pytest.LogCaptureFixture) -> None:
    logger = logging.getLogger("realname.test")
    logger.addFilter(RedactSensitiveNumbers())
    with caplog.at_level(logging.INFO, logger="realname.test"):
        logger.info("worker %s card %s", "11010519491231002X", "6222021234567890128")
    text = caplog.text
    assert "11010519491231002X" not in text and "6222021234567890128" not in text
    assert "110105********002X" in text


def test_short_numbers_are_left_alone() -> None:
    assert redact("row 12 of 10000, year 2026") == "row 12 of 10000, year 2026"


def test_error_reports_hide_sensitive_numbers_and_keys() -> None:
    from django.test import RequestFactory

    from realname.core.logging import SensitiveExceptionReporterFilter

    request = RequestFactory().post("/workers/new/", {"id_number": "11010519491231002X", "name": "张三"})
    reporter = SensitiveExceptionReporterFilter()
    params = reporter.get_post_parameters(request)
    assert params["id_number"] == "110105********002X" and params["name"] == "张三"
    settings_shown = reporter.get_safe_settings()
    assert settings_shown["REALNAME_DATA_KEYS"] != "" and "t1:" not in str(
        settings_shown["REALNAME_DATA_KEYS"]
    )
    assert "dGVzdC1pbmRleC1rZXkt" not in str(settings_shown["REALNAME_INDEX_KEY"])
    # a PostgreSQL URL carries the database password: hidden too (Django's default filter would show it)
    assert settings_shown["DATABASE_URL"] == reporter.cleansed_substitute
