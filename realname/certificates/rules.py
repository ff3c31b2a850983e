"""The certificate rules as plain functions over plain data: expiry and review dates from a type's rule, the
state of one certificate on a day, and which of several certificates counts. No database access here."""

from __future__ import annotations

import calendar
import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass

from realname.admission.facts import CertificateState


def add_months(day: dt.date, months: int) -> dt.date:
    """``day`` plus ``months`` calendar months; the 31st of a shorter month becomes its last day."""
    total = day.month - 1 + months
    year, month = day.year + total // 12, total % 12 + 1
    return dt.date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def default_expiry(issue_date: dt.date, validity_months: int) -> dt.date:
    """The last day a certificate is valid, as the certificates print it: the same date ``validity_months``
    later (issued 2026-03-01, valid 24 months → 有效期至 2028-03-01)."""
    return add_months(issue_date, validity_months)


def first_review(issue_date: dt.date, expires_on: dt.date, interval_months: int | None) -> dt.date | None:
    """The first 复审 date: one interval after issue, unless the certificate expires by then (no review)."""
    if not interval_months:
        return None
    due = add_months(issue_date, interval_months)
    return due if due < expires_on else None


def review_after(scheduled: dt.date, expires_on: dt.date, interval_months: int | None) -> dt.date | None:
    """The next 复审 once the one scheduled for ``scheduled`` is recorded: one interval on from the schedule
    (a late review does not shift the cycle), none when that reaches the expiry (renewal takes over)."""
    if not interval_months:
        return None
    due = add_months(scheduled, interval_months)
    return due if due < expires_on else None


def renewed_expiry(expires_on: dt.date, validity_months: int) -> dt.date:
    """延期复核 passed: the validity is extended by one validity period from the current expiry."""
    return add_months(expires_on, validity_months)


def window_opens(due: dt.date, window_days: int) -> dt.date | None:
    """The first day a 复审 due on ``due`` (or a 延期复核 of a certificate expiring on ``due``) may be made
    when applications are taken ``window_days`` days before it; None when the type sets no window (0)."""
    return due - dt.timedelta(days=window_days) if window_days else None


@dataclass(frozen=True, slots=True)
class Held:
    """What the state of one certificate depends on."""

    certificate_id: int
    number: str  # masked (Certificate.number_masked): it may be an ID number
    verified: bool
    expires_on: dt.date
    next_review_on: dt.date | None


def state_on(held: Held, today: dt.date) -> CertificateState:
    """The certificate's state on ``today`` (a local date): valid through its expiry date and through its
    next-review date; what is wrong first (expired, then review overdue, then not verified)."""
    if today > held.expires_on:
        return CertificateState.EXPIRED
    if held.next_review_on is not None and today > held.next_review_on:
        return CertificateState.REVIEW_OVERDUE
    if not held.verified:
        return CertificateState.UNVERIFIED
    return CertificateState.VALID


# Which state counts for more when several certificates could satisfy one requirement.
_RANK = {
    CertificateState.VALID: 0,
    CertificateState.UNVERIFIED: 1,
    CertificateState.REVIEW_OVERDUE: 2,
    CertificateState.EXPIRED: 3,
}


def best(candidates: Iterable[Held], today: dt.date) -> tuple[Held, CertificateState] | None:
    """The certificate that counts: VALID beats UNVERIFIED beats REVIEW_OVERDUE beats EXPIRED; then the
    latest expiry; then the latest added (highest id). None when there is none."""
    chosen: tuple[Held, CertificateState] | None = None
    for held in candidates:
        state = state_on(held, today)
        if chosen is None:
            chosen = (held, state)
            continue
        key = (-_RANK[state], held.expires_on, held.certificate_id)
        current = (-_RANK[chosen[1]], chosen[0].expires_on, chosen[0].certificate_id)
        if key > current:
            chosen = (held, state)
    return chosen


def next_review(
    *,
    issue_date: dt.date,
    expires_on: dt.date,
    interval_months: int | None,
    window_days: int,
    last_reviewed_on: dt.date | None,
) -> dt.date | None:
    """The next 复审 date of a certificate reviewed last on ``last_reviewed_on`` (None: never): the first
    scheduled date (issue + k intervals) not yet covered by that review. A review counts for a scheduled
    date when made within its window before it, or after it."""
    due = first_review(issue_date, expires_on, interval_months)
    if last_reviewed_on is None:
        return due
    while due is not None and last_reviewed_on >= due - dt.timedelta(days=window_days):
        due = review_after(due, expires_on, interval_months)
    return due
