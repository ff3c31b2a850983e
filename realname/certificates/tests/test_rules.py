"""The pure certificate rules: dates from a type's rule, a certificate's state, the best of several."""

from __future__ import annotations

import datetime as dt

from hypothesis import given
from hypothesis import strategies as st

from realname.admission.facts import CertificateState
from realname.certificates import rules
from realname.certificates.rules import Held

D = dt.date


def test_months_are_added_on_the_calendar_and_clamped_to_the_month_end() -> None:
    assert rules.add_months(D(2026, 1, 31), 1) == D(2026, 2, 28)
    assert rules.add_months(D(2026, 11, 30), 3) == D(2027, 2, 28)
    assert rules.add_months(D(2027, 2, 28), -12) == D(2026, 2, 28)
    assert rules.add_months(D(2026, 3, 15), -3) == D(2025, 12, 15)


def test_a_housing_certificate_is_valid_two_years_from_issue() -> None:
    assert rules.default_expiry(D(2026, 3, 1), 24) == D(2028, 3, 1)


def test_an_emergency_certificate_is_first_reviewed_after_three_years_and_not_at_expiry() -> None:
    issue = D(2026, 3, 1)
    expiry = rules.default_expiry(issue, 72)
    assert expiry == D(2032, 3, 1)
    first = rules.first_review(issue, expiry, 36)
    assert first == D(2029, 3, 1)
    # The second "review" would fall on the expiry date: renewal (换证) takes over, no review.
    assert rules.review_after(first, expiry, 36) is None
    assert rules.first_review(issue, rules.default_expiry(issue, 24), None) is None


def test_a_recorded_review_within_the_window_counts_for_the_scheduled_date() -> None:
    issue, expiry = D(2020, 1, 10), D(2032, 1, 10)  # a 12-year certificate reviewed every 3 years
    schedule = {"issue_date": issue, "expires_on": expiry, "interval_months": 36, "window_days": 60}
    assert rules.next_review(**schedule, last_reviewed_on=None) == D(2023, 1, 10)
    # Reviewed 50 days before the 2023 date: that review counts, the next is 2026.
    assert rules.next_review(**schedule, last_reviewed_on=D(2022, 11, 21)) == D(2026, 1, 10)
    # Reviewed 70 days before: outside the window, the 2023 review is still due.
    assert rules.next_review(**schedule, last_reviewed_on=D(2022, 11, 1)) == D(2023, 1, 10)
    # Reviewed late (after the date): it still counts for that date; the cycle does not shift.
    assert rules.next_review(**schedule, last_reviewed_on=D(2023, 3, 1)) == D(2026, 1, 10)


def test_renewal_extends_by_one_validity_period() -> None:
    assert rules.renewed_expiry(D(2028, 3, 1), 24) == D(2030, 3, 1)


LATER = D(2027, 1, 1)


def held(pk: int, *, verified: bool = True, expires: D = LATER, review: D | None = None) -> Held:
    return Held(pk, f"N{pk}", verified, expires, review)


def test_a_certificate_is_valid_through_its_expiry_day_and_expired_the_day_after() -> None:
    c = held(1, expires=D(2026, 6, 30))
    assert rules.state_on(c, D(2026, 6, 30)) == CertificateState.VALID
    assert rules.state_on(c, D(2026, 7, 1)) == CertificateState.EXPIRED


def test_what_is_wrong_first_wins_for_one_certificate() -> None:
    c = held(1, verified=False, expires=D(2026, 6, 30), review=D(2026, 3, 1))
    assert rules.state_on(c, D(2026, 2, 1)) == CertificateState.UNVERIFIED
    assert rules.state_on(c, D(2026, 3, 2)) == CertificateState.REVIEW_OVERDUE
    assert rules.state_on(c, D(2026, 7, 1)) == CertificateState.EXPIRED


def test_the_best_certificate_is_valid_then_unverified_then_overdue_then_expired_then_latest() -> None:
    today = D(2026, 6, 1)
    expired = held(1, expires=D(2026, 5, 1))
    overdue = held(2, review=D(2026, 5, 1))
    unverified = held(3, verified=False, expires=D(2030, 1, 1))
    valid_short = held(4, expires=D(2026, 7, 1))
    valid_long = held(5, expires=D(2028, 7, 1))
    assert rules.best([], today) is None
    assert rules.best([expired, overdue], today) == (overdue, CertificateState.REVIEW_OVERDUE)
    assert rules.best([expired, overdue, unverified], today) == (unverified, CertificateState.UNVERIFIED)
    assert rules.best([unverified, valid_short], today) == (valid_short, CertificateState.VALID)
    assert rules.best([valid_long, valid_short, expired], today) == (valid_long, CertificateState.VALID)


@given(
    st.lists(
        st.tuples(st.booleans(), st.dates(D(2020, 1, 1), D(2032, 1, 1)), st.none() | st.dates()),
        min_size=1,
        max_size=6,
    ),
    st.dates(D(2024, 1, 1), D(2030, 1, 1)),
)
def test_the_best_is_never_worse_than_any_candidate(rows: list[tuple[bool, D, D | None]], today: D) -> None:
    candidates = [held(i, verified=v, expires=e, review=r) for i, (v, e, r) in enumerate(rows)]
    chosen = rules.best(candidates, today)
    assert chosen is not None
    order = [
        CertificateState.VALID,
        CertificateState.UNVERIFIED,
        CertificateState.REVIEW_OVERDUE,
        CertificateState.EXPIRED,
    ]
    for c in candidates:
        state = rules.state_on(c, today)
        assert order.index(chosen[1]) <= order.index(state)
        if state == chosen[1]:
            assert chosen[0].expires_on >= c.expires_on
