"""Keep full ID and bank-card numbers out of logs and error reports."""

from __future__ import annotations

import logging
import re
from typing import Any

from django.views.debug import SafeExceptionReporterFilter

# 15–19 digit runs (ID numbers, bank cards) and 17 digits + X. Shorter numbers (ids, counts) are left alone.
_LONG_NUMBER = re.compile(r"(?<![0-9A-Za-z])(\d{6})\d{5,9}(\d{3}[\dXx])(?![0-9A-Za-z])")


def redact(text: str) -> str:
    return _LONG_NUMBER.sub(lambda m: m.group(1) + "********" + m.group(2), text)


class RedactSensitiveNumbers(logging.Filter):
    """A logging filter that masks long digit runs in the formatted message."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        masked = redact(message)
        if masked != message:
            record.msg = masked
            record.args = None
        return True


class SensitiveExceptionReporterFilter(SafeExceptionReporterFilter):
    """Django's debug page and error mails: also hide our sensitive fields and long numbers."""

    hidden_settings = re.compile(
        "API|TOKEN|KEY|SECRET|PASS|SIGNATURE|HTTP_COOKIE|DATABASE_URL|DATA_KEYS|INDEX_KEY", flags=re.I
    )

    def get_post_parameters(self, request: Any) -> Any:
        params = super().get_post_parameters(request)
        if not params:
            return params
        cleaned = params.copy()
        for key in list(cleaned.keys()):
            cleaned[key] = redact(str(cleaned[key]))
        return cleaned

    def get_traceback_frame_variables(self, request: Any, tb_frame: Any) -> Any:
        return [
            (name, redact(str(value)))
            for name, value in super().get_traceback_frame_variables(request, tb_frame)
        ]
