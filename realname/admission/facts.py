"""What the admission decision is made of: plain facts, gathered in bulk by each app's selectors and handed
to the pure function in realname/admission/rules.py. No database access here.

Training (realname/training/selectors.py ``training_facts``) and certificates
(realname/certificates/selectors.py ``certificate_facts``) each return, per employment id, one fact per
requirement that applies to that employment at the moment asked about — met or not. The decision turns the
unmet ones into reasons; the met ones tell it when the decision will change by itself (an expiry), so the
device allow-list can be updated at that moment without anyone acting.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from enum import StrEnum
from typing import Protocol


class TrainingState(StrEnum):
    PASSED = "passed"  # passed and still valid at the moment asked about
    NOT_PASSED = "not_passed"  # never passed (or only failed attempts)
    EXPIRED = "expired"  # passed, but the course's validity (N months) has run out
    RETAKE_AFTER_ABSENCE = "retake"  # absent from the project for more than N days since passing


@dataclass(frozen=True, slots=True)
class TrainingFact:
    """One required course (from the training plans that apply to the employment's project and trade)."""

    course_id: int
    title: str  # the course title, for the reason's message
    level: str  # "company" | "project" | "team" (三级安全教育) or "" for other courses
    state: TrainingState
    passed_at: dt.datetime | None = None
    expires_at: dt.datetime | None = None  # when a PASSED course stops counting (None: never)


class CertificateState(StrEnum):
    VALID = "valid"  # held, verified, not expired, review not overdue
    MISSING = "missing"  # no certificate of a type that satisfies the requirement
    EXPIRED = "expired"  # the best one held is past its expiry date
    REVIEW_OVERDUE = "review_overdue"  # past its next-review date without a recorded review
    UNVERIFIED = "unverified"  # held and in date, but nobody has checked it against the issuer's register


@dataclass(frozen=True, slots=True)
class CertificateFact:
    """One certificate a trade requires (from the editable trade → certificate mapping)."""

    requirement: str  # what is required, e.g. the certificate type's name "建筑电工（住建）"
    state: CertificateState
    certificate_id: int | None = None  # the best certificate held for it, if any
    number: str = ""  # its number, masked (Certificate.number_masked: 应急管理 numbers are ID numbers)
    expires_on: dt.date | None = None
    next_review_on: dt.date | None = None


class EmploymentKey(Protocol):
    """What the fact selectors read of an employment: an ``Employment`` or the lighter row admission
    decides from (``admission.selectors.EmploymentRow``, made without model instances)."""

    @property
    def pk(self) -> int: ...

    @property
    def project_id(self) -> int: ...

    @property
    def worker_id(self) -> int: ...

    @property
    def trade(self) -> str: ...
