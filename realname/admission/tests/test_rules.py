"""The admission decision over every combination of conditions: each condition is built from a choice
("this certificate is expired", "this blacklisting is over"), and the reasons must be exactly the choices
that bar entry — no more, no fewer — and the decision must not change before the moment it names."""

from __future__ import annotations

import datetime as dt
import re
from collections import Counter
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from realname.admission.facts import CertificateFact, CertificateState, TrainingFact, TrainingState
from realname.admission.rules import (
    AgeRule,
    BlacklistFact,
    BlacklistLevel,
    Code,
    EmploymentFacts,
    Facts,
    Reason,
    age_on,
    decide,
    reason_from_json,
)

TZ = ZoneInfo("Asia/Shanghai")
CJK = re.compile(r"[\u4e00-\u9fff]")

days = st.integers(min_value=1, max_value=400)


@st.composite
def moments(draw: st.DrawFn) -> dt.datetime:
    day = draw(st.dates(min_value=dt.date(2024, 1, 1), max_value=dt.date(2030, 12, 31)))
    seconds = draw(st.integers(min_value=0, max_value=86_399))
    return dt.datetime.combine(day, dt.time(0), tzinfo=TZ) + dt.timedelta(seconds=seconds)


@st.composite
def scenarios(draw: st.DrawFn) -> tuple[Facts, dt.datetime, Counter[str]]:
    """Facts built from a choice per condition, the moment, and the reason codes those choices require."""
    at = draw(moments())
    today = at.date()
    expected: Counter[str] = Counter()

    verified = draw(st.booleans())
    if not verified:
        expected[Code.IDENTITY_UNVERIFIED] += 1

    employment_case = draw(st.sampled_from(["none", "not_started", "on_site", "leaving", "ended"]))
    employment: EmploymentFacts | None
    if employment_case == "none":
        employment = None
        expected[Code.NO_EMPLOYMENT] += 1
    elif employment_case == "not_started":
        employment = EmploymentFacts(today + dt.timedelta(days=draw(days)))
        expected[Code.EMPLOYMENT_NOT_STARTED] += 1
    elif employment_case == "on_site":
        employment = EmploymentFacts(today - dt.timedelta(days=draw(st.integers(0, 400))))
    elif employment_case == "leaving":  # exit registered for today or later: still admitted until then
        employment = EmploymentFacts(
            today - dt.timedelta(days=draw(days)), today + dt.timedelta(days=draw(st.integers(0, 60)))
        )
    else:
        exit_date = today - dt.timedelta(days=draw(days))
        employment = EmploymentFacts(exit_date - dt.timedelta(days=draw(st.integers(0, 400))), exit_date)
        expected[Code.EMPLOYMENT_ENDED] += 1

    contracts: list[tuple[dt.date, dt.date | None]] = []
    for case in draw(st.lists(st.sampled_from(["open", "in_force", "over", "future"]), max_size=3)):
        if case == "open":
            contracts.append((today - dt.timedelta(days=draw(st.integers(0, 400))), None))
        elif case == "in_force":
            contracts.append(
                (
                    today - dt.timedelta(days=draw(st.integers(0, 400))),
                    today + dt.timedelta(days=draw(st.integers(0, 400))),
                )
            )
        elif case == "over":
            end = today - dt.timedelta(days=draw(days))
            contracts.append((end - dt.timedelta(days=draw(st.integers(0, 400))), end))
        else:
            start = today + dt.timedelta(days=draw(days))
            contracts.append((start, None))
    if employment is not None and not any(
        start <= today and (end is None or today <= end) for start, end in contracts
    ):
        expected[Code.NO_CONTRACT] += 1

    training: list[TrainingFact] = []
    for n, case in enumerate(
        draw(st.lists(st.sampled_from(["valid", "forever", "not_passed", "expired", "retake"]), max_size=4))
    ):
        passed = at - dt.timedelta(days=draw(days))
        if case == "valid":
            later = at + dt.timedelta(seconds=draw(st.integers(1, 10**8)))
            training.append(TrainingFact(n, f"课程{n}", "project", TrainingState.PASSED, passed, later))
        elif case == "forever":
            training.append(TrainingFact(n, f"课程{n}", "company", TrainingState.PASSED, passed, None))
        elif case == "not_passed":
            training.append(TrainingFact(n, f"课程{n}", "team", TrainingState.NOT_PASSED))
            expected[Code.TRAINING_NOT_PASSED] += 1
        elif case == "expired":
            ran_out = at - dt.timedelta(seconds=draw(st.integers(0, 10**7)))
            training.append(TrainingFact(n, f"课程{n}", "", TrainingState.EXPIRED, passed, ran_out))
            expected[Code.TRAINING_EXPIRED] += 1
        else:
            training.append(
                TrainingFact(n, f"课程{n}", "project", TrainingState.RETAKE_AFTER_ABSENCE, passed)
            )
            expected[Code.TRAINING_RETAKE] += 1

    certificates: list[CertificateFact] = []
    for n, case in enumerate(
        draw(st.lists(st.sampled_from(["valid", "missing", "expired", "overdue", "unverified"]), max_size=3))
    ):
        expires = today + dt.timedelta(days=draw(st.integers(0, 800)))
        review = today + dt.timedelta(days=draw(st.integers(0, 400)))
        if case == "valid":
            certificates.append(
                CertificateFact(f"证{n}", CertificateState.VALID, n, f"N{n}", expires, review)
            )
        elif case == "missing":
            certificates.append(CertificateFact(f"证{n}", CertificateState.MISSING))
            expected[Code.CERTIFICATE_MISSING] += 1
        elif case == "expired":
            gone = today - dt.timedelta(days=draw(days))
            certificates.append(CertificateFact(f"证{n}", CertificateState.EXPIRED, n, f"N{n}", gone, None))
            expected[Code.CERTIFICATE_EXPIRED] += 1
        elif case == "overdue":
            late = today - dt.timedelta(days=draw(days))
            certificates.append(
                CertificateFact(f"证{n}", CertificateState.REVIEW_OVERDUE, n, f"N{n}", expires, late)
            )
            expected[Code.CERTIFICATE_REVIEW_OVERDUE] += 1
        else:
            certificates.append(
                CertificateFact(f"证{n}", CertificateState.UNVERIFIED, n, f"N{n}", expires, review)
            )
            expected[Code.CERTIFICATE_UNVERIFIED] += 1

    blacklist: list[BlacklistFact] = []
    for case in draw(st.lists(st.sampled_from(["open", "current", "over", "future"]), max_size=3)):
        level = draw(st.sampled_from(list(BlacklistLevel)))
        if case == "open":
            blacklist.append(
                BlacklistFact(level, "打架斗殴", today - dt.timedelta(days=draw(st.integers(0, 400))))
            )
            expected[Code.BLACKLISTED] += 1
        elif case == "current":
            start = today - dt.timedelta(days=draw(st.integers(0, 400)))
            blacklist.append(
                BlacklistFact(level, "违章作业", start, today + dt.timedelta(days=draw(st.integers(0, 400))))
            )
            expected[Code.BLACKLISTED] += 1
        elif case == "over":
            end = today - dt.timedelta(days=draw(days))
            blacklist.append(
                BlacklistFact(level, "旧事", end - dt.timedelta(days=draw(st.integers(0, 400))), end)
            )
        else:
            blacklist.append(BlacklistFact(level, "将来", today + dt.timedelta(days=draw(days)), None))

    age_case = draw(
        st.sampled_from(["no_rules", "unknown", "fits", "young", "old", "both_bounds_fit", "sex_unknown"])
    )
    birth: dt.date | None = None
    rules: list[AgeRule] = []
    age = draw(st.integers(17, 70))
    try:
        birth = today.replace(year=today.year - age) - dt.timedelta(days=draw(st.integers(0, 300)))
    except ValueError:  # 29 February
        birth = dt.date(today.year - age, 2, 28) - dt.timedelta(days=draw(st.integers(0, 300)))
    real_age = age_on(birth, today)
    if age_case == "no_rules":
        pass
    elif age_case == "unknown":
        birth = None
        rules = [AgeRule("政策", 18, 59)]
        expected[Code.AGE_UNKNOWN] += 1
    elif age_case == "fits":
        rules = [AgeRule("政策", real_age - draw(st.integers(0, 3)), None)]
    elif age_case == "young":
        rules = [AgeRule("政策", real_age + draw(st.integers(1, 3)), None)]
        expected[Code.AGE_BELOW_MINIMUM] += 1
    elif age_case == "old":
        rules = [AgeRule("政策", None, real_age - draw(st.integers(1, 3)))]
        expected[Code.AGE_ABOVE_MAXIMUM] += 1
    elif age_case == "sex_unknown":  # lines for one sex, the worker's not recorded; a line for both applies
        rules = [AgeRule("男性", 18, 59, sex_specific=True), AgeRule("全体", real_age - 1, None)]
        expected[Code.AGE_SEX_UNKNOWN] += 1
    else:
        rules = [AgeRule("政策", real_age, real_age + draw(st.integers(0, 3)))]

    facts = Facts(
        registered=True,
        identity_verified=verified,
        employment=employment,
        contracts=contracts,
        training=training,
        certificates=certificates,
        blacklist=blacklist,
        birth_date=birth,
        age_rules=rules,
    )
    return facts, at, expected


@settings(max_examples=600, deadline=None)
@given(scenarios())
def test_the_reasons_are_exactly_the_conditions_that_bar_entry(
    case: tuple[Facts, dt.datetime, Counter[str]],
) -> None:
    facts, at, expected = case
    decision = decide(facts, at, TZ)
    assert Counter(decision.codes) == expected
    assert decision.allowed is (not expected)
    for reason in decision.reasons:
        message = reason.message
        assert CJK.search(message), message
        assert "{" not in message and "}" not in message, message
        assert reason_from_json(reason.as_json()) == reason


@settings(max_examples=300, deadline=None)
@given(scenarios(), st.integers(min_value=0, max_value=999_999))
def test_nothing_changes_before_the_named_moment_and_the_reasons_do_at_it(
    case: tuple[Facts, dt.datetime, Counter[str]], millionths: int
) -> None:
    facts, at, _ = case
    decision = decide(facts, at, TZ)
    if decision.changes_at is None:
        return
    assert decision.changes_at > at
    span = (decision.changes_at - at) // dt.timedelta(microseconds=1)
    between = at + dt.timedelta(microseconds=span * millionths // 1_000_000)  # exact: strictly before
    assert decide(facts, between, TZ).reasons == decision.reasons
    assert decide(facts, decision.changes_at, TZ).reasons != decision.reasons


def test_an_unregistered_person_is_refused_for_that_alone() -> None:
    at = dt.datetime(2026, 6, 1, 8, tzinfo=TZ)
    decision = decide(Facts(registered=False, identity_verified=False), at, TZ)
    assert decision.allowed is False
    assert decision.codes == [Code.NOT_REGISTERED]
    assert decision.reasons[0].message == "未登记实名信息"


def test_a_fully_qualified_worker_is_allowed_until_the_first_expiry() -> None:
    at = dt.datetime(2026, 6, 1, 8, tzinfo=TZ)
    facts = Facts(
        identity_verified=True,
        employment=EmploymentFacts(dt.date(2026, 5, 1)),
        contracts=[(dt.date(2026, 5, 1), dt.date(2026, 12, 31))],
        training=[
            TrainingFact(
                1, "公司级安全教育", "company", TrainingState.PASSED, at - dt.timedelta(days=30), None
            ),
            TrainingFact(
                2,
                "项目级安全教育",
                "project",
                TrainingState.PASSED,
                at - dt.timedelta(days=30),
                dt.datetime(2026, 9, 1, 10, tzinfo=TZ),
            ),
        ],
        certificates=[
            CertificateFact(
                "建筑电工（住建）", CertificateState.VALID, 7, "建电2025001", dt.date(2027, 3, 1), None
            )
        ],
        birth_date=dt.date(1980, 7, 15),
        age_rules=[AgeRule("上海：男性 18–59 周岁", 18, 59)],
    )
    decision = decide(facts, at, TZ)
    assert decision.allowed is True
    assert decision.reasons == ()
    assert decision.changes_at == dt.datetime(2026, 9, 1, 10, tzinfo=TZ)


def test_the_oldest_admitted_age_is_inclusive_and_the_next_birthday_refuses() -> None:
    facts = Facts(
        identity_verified=True,
        employment=EmploymentFacts(dt.date(2020, 1, 1)),
        contracts=[(dt.date(2020, 1, 1), None)],
        birth_date=dt.date(1966, 6, 2),
        age_rules=[AgeRule("上海：男性 18–59 周岁", 18, 59)],
    )
    day_before = dt.datetime(2026, 6, 1, 23, 59, tzinfo=TZ)
    birthday = dt.datetime(2026, 6, 2, 0, 0, tzinfo=TZ)
    before = decide(facts, day_before, TZ)
    assert before.allowed is True
    assert before.changes_at == birthday
    after = decide(facts, birthday, TZ)
    assert after.codes == [Code.AGE_ABOVE_MAXIMUM]
    assert after.reasons[0].message == "年龄 60 岁，超过上海：男性 18–59 周岁规定的 59 岁"


def test_the_day_is_the_projects_local_day() -> None:
    # 2026-06-30 17:00 UTC is already 1 July in Shanghai: an exit on 30 June has taken effect there.
    facts = Facts(
        identity_verified=True,
        employment=EmploymentFacts(dt.date(2026, 1, 1), dt.date(2026, 6, 30)),
        contracts=[(dt.date(2026, 1, 1), None)],
    )
    at = dt.datetime(2026, 6, 30, 17, tzinfo=dt.UTC)
    assert decide(facts, at, TZ).codes == [Code.EMPLOYMENT_ENDED]
    assert decide(facts, at, ZoneInfo("UTC")).allowed is True


def test_a_naive_moment_is_refused() -> None:
    with pytest.raises(ValueError):
        decide(Facts(), dt.datetime(2026, 1, 1), TZ)  # noqa: DTZ001 - the point of the test


def test_blacklist_reason_says_where_when_and_why() -> None:
    reason = Reason(
        Code.BLACKLISTED,
        {"level": "company", "starts_on": "2026-05-01", "ends_on": "", "reason": "恶意讨薪冲击工地"},
    )
    assert reason.message == "已列入企业黑名单（2026-05-01 起，至解除为止）：恶意讨薪冲击工地"


def test_reasons_read_in_english_when_the_user_switches() -> None:
    from django.utils import translation

    reason = Reason(Code.AGE_ABOVE_MAXIMUM, {"age": "61", "policy": "Shanghai", "max_age": "59"})
    with translation.override("en"):
        assert reason.message == "Aged 61, over the 59 set by Shanghai"
        blacklisted = Reason(
            Code.BLACKLISTED, {"level": "company", "starts_on": "2026-05-01", "ends_on": "", "reason": "x"}
        )
        assert blacklisted.message == "On the Company blacklist (from 2026-05-01, until removed): x"
    assert reason.message == "年龄 61 岁，超过Shanghai规定的 59 岁"


def test_a_certificate_numbered_with_the_holders_id_number_is_masked_in_the_reason() -> None:
    at = dt.datetime(2026, 6, 1, 8, tzinfo=TZ)
    fact = CertificateFact(
        "低压电工作业（应急管理）", CertificateState.UNVERIFIED, 3, "T110105198001010012", dt.date(2030, 1, 1)
    )
    decision = decide(Facts(identity_verified=True, certificates=[fact]), at, TZ)
    shown = decision.reasons[-1]
    assert shown.code == Code.CERTIFICATE_UNVERIFIED
    assert "110105198001010012" not in shown.message
    assert "T110105********0012" in shown.message
    plain = CertificateFact(
        "建筑电工（住建）", CertificateState.EXPIRED, 4, "建(电)2025000123", dt.date(2026, 1, 1)
    )
    assert "建(电)2025000123" in decide(Facts(certificates=[plain]), at, TZ).reasons[-1].message
