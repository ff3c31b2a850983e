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
