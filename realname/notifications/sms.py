"""Sending SMS through a pluggable adapter (``REALNAME_SMS_BACKEND``, a dotted path to a class).

A real provider implements :class:`SmsBackend` (``send`` one message, raise :class:`SmsError` saying
whether a retry can help). Providers that only send approved templates (阿里云、腾讯云短信) can map
``SmsMessage.kind`` to a template and fill it from the text. Shipped here:

- :class:`ConsoleBackend` (the default, for development): writes the message to the log, phone masked.
- :class:`LocmemBackend` (tests): keeps the messages in :data:`outbox`, like Django's locmem e-mail backend.

A phone number is never logged in full: :func:`masked_phone` is applied everywhere.
"""

from __future__ import annotations

import abc
import logging
from dataclasses import dataclass

from django.conf import settings
from django.utils.module_loading import import_string

from realname.core.masking import mask_phone

log = logging.getLogger(__name__)


def masked_phone(phone: str) -> str:
    """``13812345678`` → ``138****5678``; any other shape keeps only its last four characters."""
    phone = phone.strip()
    if len(phone) == 11:
        return mask_phone(phone)
    return "*" * max(len(phone) - 4, 4) + phone[-4:] if len(phone) > 4 else "*" * len(phone)


@dataclass(frozen=True)
class SmsMessage:
    """One text message: where to, what it says, and the notification kind and level it carries."""

    phone: str
    text: str
    kind: str = ""
    level: str = ""


class SmsError(Exception):
    """The provider did not take the message; ``retryable`` says whether trying later can help."""

    def __init__(self, message: str, *, retryable: bool) -> None:
        super().__init__(message)
        self.retryable = retryable


class SmsBackend(abc.ABC):
    """The interface of an SMS provider adapter. Constructed once per sending run, without arguments (read
    credentials from settings)."""

    @abc.abstractmethod
    def send(self, message: SmsMessage) -> str:
        """Send one message; return the provider's message id (or "" if it gives none)."""


class ConsoleBackend(SmsBackend):
    """Development: the message goes to the log (the console in development), the phone masked."""

    def send(self, message: SmsMessage) -> str:
        log.info("SMS to %s [%s]: %s", masked_phone(message.phone), message.kind, message.text)
        return ""


outbox: list[SmsMessage] = []


class LocmemBackend(SmsBackend):
    """Tests: keeps every message in :data:`outbox` (and logs it masked, as the console backend does)."""

    def send(self, message: SmsMessage) -> str:
        outbox.append(message)
        log.info("SMS to %s [%s]: %s", masked_phone(message.phone), message.kind, message.text)
        return f"locmem-{len(outbox)}"


def get_backend() -> SmsBackend:
    backend = import_string(settings.REALNAME_SMS_BACKEND)()
    if not isinstance(backend, SmsBackend):
        raise TypeError(f"{settings.REALNAME_SMS_BACKEND} is not an SmsBackend")
    return backend
