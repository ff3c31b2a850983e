"""The admission decision: may this worker enter this project at this moment, and if not, every reason why.

A pure function of plain facts (realname/admission/facts.py and the dataclasses below) — no database, no
clock, no settings — so the gate, the API, the roster and the device allow-list all get the same answer,
and it can be tested over every combination of conditions. ``decide`` also says when the decision will
change by itself (the earliest expiry, exit, birthday or blacklist boundary after the moment), so the
allow-list can be corrected at that moment without anyone acting.

Dates are the project's local calendar dates; instants are timezone-aware.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from django.utils.translation import gettext, gettext_noop

from realname.admission.facts import CertificateFact, CertificateState, TrainingFact, TrainingState
from realname.certificates import numbers


class Code(StrEnum):
    """Reason codes (stable: stored on statuses and events, returned by the API)."""

    NOT_REGISTERED = "not_registered"
    IDENTITY_UNVERIFIED = "identity_unverified"
    NO_EMPLOYMENT = "no_employment"
    EMPLOYMENT_NOT_STARTED = "employment_not_started"
    EMPLOYMENT_ENDED = "employment_ended"
    NO_CONTRACT = "no_contract"
    TRAINING_NOT_PASSED = "training_not_passed"
    TRAINING_EXPIRED = "training_expired"
    TRAINING_RETAKE = "training_retake"
    CERTIFICATE_MISSING = "certificate_missing"
    CERTIFICATE_EXPIRED = "certificate_expired"
    CERTIFICATE_REVIEW_OVERDUE = "certificate_review_overdue"
    CERTIFICATE_UNVERIFIED = "certificate_unverified"
    BLACKLISTED = "blacklisted"
    AGE_UNKNOWN = "age_unknown"
    AGE_SEX_UNKNOWN = "age_sex_unknown"
    AGE_BELOW_MINIMUM = "age_below_minimum"
    AGE_ABOVE_MAXIMUM = "age_above_maximum"


# Chinese message templates per code; ``params`` fill them. gettext at render time, so the English UI
# shows the English text of the same reason.
_TEMPLATES: dict[str, str] = {
    Code.NOT_REGISTERED: gettext_noop("未登记实名信息"),
    Code.IDENTITY_UNVERIFIED: gettext_noop("身份未核验（证件原件、读卡器或人证比对）"),
    Code.NO_EMPLOYMENT: gettext_noop("未在本项目登记进场"),
    Code.EMPLOYMENT_NOT_STARTED: gettext_noop("进场日期为 {entry_date}，尚未进场"),
    Code.EMPLOYMENT_ENDED: gettext_noop("已于 {exit_date} 退场"),
    Code.NO_CONTRACT: gettext_noop("没有在有效期内的已签订劳动合同"),
    Code.TRAINING_NOT_PASSED: gettext_noop("未通过培训：{course}"),
    Code.TRAINING_EXPIRED: gettext_noop("培训已过期：{course}（{expired_at} 到期）"),
    Code.TRAINING_RETAKE: gettext_noop("离场时间过长，需重新参加培训：{course}"),
    Code.CERTIFICATE_MISSING: gettext_noop("缺少特种作业证书：{requirement}"),
    Code.CERTIFICATE_EXPIRED: gettext_noop("证书已过期：{requirement} {number}（{expires_on} 到期）"),
    Code.CERTIFICATE_REVIEW_OVERDUE: gettext_noop(
        "证书逾期未复审：{requirement} {number}（应于 {next_review_on} 前复审）"
    ),
    Code.CERTIFICATE_UNVERIFIED: gettext_noop("证书未经核验：{requirement} {number}"),
    Code.BLACKLISTED: gettext_noop("已列入{level}黑名单（{starts_on} 起，{until}）：{reason}"),
    Code.AGE_UNKNOWN: gettext_noop("出生日期不详，无法核对年龄要求"),
    Code.AGE_SEX_UNKNOWN: gettext_noop("性别未登记，无法核对分性别的年龄要求（请在工人信息中补填性别）"),
    Code.AGE_BELOW_MINIMUM: gettext_noop("年龄 {age} 岁，低于{policy}规定的 {min_age} 岁"),
    Code.AGE_ABOVE_MAXIMUM: gettext_noop("年龄 {age} 岁，超过{policy}规定的 {max_age} 岁"),
}


@dataclass(frozen=True, slots=True)
class Reason:
    code: str
    params: Mapping[str, str] = field(default_factory=dict)

    @property
    def message(self) -> str:
        return render(self.code, self.params)

    def as_json(self) -> dict[str, Any]:
        return {"code": self.code, "params": dict(self.params)}


def render(code: str, params: Mapping[str, str]) -> str:
    """The reason's message in the active language (Chinese by default)."""
    template = _TEMPLATES.get(code)
    if template is None:
        return code
    values = dict(params)
    if code == Code.BLACKLISTED:
        words = _LEVEL_WORDS.get(values.get("level", ""))
        values["level"] = gettext(words) if words else values.get("level", "")
        ends_on = values.get("ends_on", "")
        values["until"] = gettext("至 {day} 止").format(day=ends_on) if ends_on else gettext("至解除为止")
    try:
        return gettext(template).format(**values)
    except (KeyError, IndexError):
        return gettext(template)


def reason_from_json(value: Mapping[str, Any]) -> Reason:
    return Reason(str(value.get("code", "")), {k: str(v) for k, v in (value.get("params") or {}).items()})


class BlacklistLevel(StrEnum):
    PLATFORM = "platform"
    COMPANY = "company"
    PROJECT = "project"


_LEVEL_WORDS: dict[str, str] = {
    BlacklistLevel.PLATFORM: gettext_noop("平台"),
    BlacklistLevel.COMPANY: gettext_noop("企业"),
    BlacklistLevel.PROJECT: gettext_noop("项目"),
}


@dataclass(frozen=True, slots=True)
class BlacklistFact:
    """A blacklist entry that concerns this employment (its worker, on this project / company / anywhere)."""

    level: BlacklistLevel
    reason: str
    starts_on: dt.date
    ends_on: dt.date | None = None  # last day on the list; None = until removed


@dataclass(frozen=True, slots=True)
class AgeRule:
    """One line of the age policy in force for the project (already chosen: project, region or national)
    that concerns this worker's sex and trade risk class. Ages are full years (周岁), both bounds
    inclusive: ``max_age=59`` admits a 59-year-old and refuses from the 60th birthday."""

    policy: str  # the policy's name, for the message
    min_age: int | None = None
    max_age: int | None = None
    # A line for one sex, given because the worker's sex is not recorded: it cannot be applied, and that
    # is itself a reason (a policy that differs by sex cannot be checked without it).
    sex_specific: bool = False


@dataclass(frozen=True, slots=True)
class EmploymentFacts:
    entry_date: dt.date
    exit_date: dt.date | None = None  # the last day on the project


@dataclass(frozen=True, slots=True)
class Facts:
    """Everything the decision looks at for one worker on one project."""

    registered: bool = True
    identity_verified: bool = False
    employment: EmploymentFacts | None = None
    contracts: Sequence[tuple[dt.date, dt.date | None]] = ()  # signed contracts' (start, end) days
    training: Sequence[TrainingFact] = ()
    certificates: Sequence[CertificateFact] = ()
    blacklist: Sequence[BlacklistFact] = ()
    birth_date: dt.date | None = None
    age_rules: Sequence[AgeRule] = ()


@dataclass(frozen=True, slots=True)
class Decision:
    allowed: bool
    reasons: tuple[Reason, ...]
    # The earliest moment after the one decided for when the answer may change by time alone (an expiry,
    # an exit, a birthday, the start or end of a blacklisting); None = only a change of facts changes it.
    changes_at: dt.datetime | None = None

    @property
    def codes(self) -> list[str]:
        return [reason.code for reason in self.reasons]


def _start_of(day: dt.date, tz: dt.tzinfo) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(0), tzinfo=tz)


def age_on(birth_date: dt.date, day: dt.date) -> int:
    """Full years (周岁) on ``day``; someone born on 29 February has their birthday on 1 March."""
    years = day.year - birth_date.year
    if (day.month, day.day) < (birth_date.month, birth_date.day):
        years -= 1
    return years


def _birthday(birth_date: dt.date, age: int) -> dt.date:
    """The day someone born on ``birth_date`` turns ``age``."""
    year = birth_date.year + age
    try:
        return birth_date.replace(year=year)
    except ValueError:  # 29 February in a common year
        return dt.date(year, 3, 1)


def _day(value: dt.date) -> str:
    return value.isoformat()


def decide(facts: Facts, at: dt.datetime, tz: dt.tzinfo) -> Decision:
    """Whether the worker described by ``facts`` may enter at ``at`` (aware), with every reason against.

    ``tz`` is the project's zone: day-based conditions (employment, contract, certificate, blacklist and
    age dates) are read on the local date of ``at``.
    """
    if at.tzinfo is None:
        raise ValueError("admission is decided at an aware instant")
    today = at.astimezone(tz).date()
    reasons: list[Reason] = []
    boundaries: list[dt.datetime] = []  # instants after ``at`` when some condition flips

    def flips_on(day: dt.date) -> None:
        moment = _start_of(day, tz)
        if moment > at:
            boundaries.append(moment)

    if not facts.registered:
        return Decision(False, (Reason(Code.NOT_REGISTERED),))
    if not facts.identity_verified:
        reasons.append(Reason(Code.IDENTITY_UNVERIFIED))

    employment = facts.employment
    if employment is None:
        reasons.append(Reason(Code.NO_EMPLOYMENT))
    elif today < employment.entry_date:
        reasons.append(Reason(Code.EMPLOYMENT_NOT_STARTED, {"entry_date": _day(employment.entry_date)}))
        flips_on(employment.entry_date)
    elif employment.exit_date is not None and today > employment.exit_date:
        reasons.append(Reason(Code.EMPLOYMENT_ENDED, {"exit_date": _day(employment.exit_date)}))
    elif employment.exit_date is not None:
        flips_on(employment.exit_date + dt.timedelta(days=1))

    if employment is not None:
        _contract(facts.contracts, today, reasons, flips_on)
    _training(facts.training, at, tz, reasons, boundaries)
    _certificates(facts.certificates, today, reasons, flips_on)
    _blacklist(facts.blacklist, today, reasons, flips_on)
    _age(facts.birth_date, facts.age_rules, today, reasons, flips_on)
    return Decision(not reasons, tuple(reasons), min(boundaries, default=None))


def _contract(
    contracts: Iterable[tuple[dt.date, dt.date | None]], today: dt.date, reasons: list[Reason], flips_on: Any
) -> None:
    in_force = [(start, end) for start, end in contracts if start <= today and (end is None or today <= end)]
    if in_force:
        # Covered until the last day of an unbroken run of contracts (a renewal starting the day after
        # one ends continues it).
        covered: dt.date | None = today
        while covered is not None:
            reach = [end for start, end in contracts if start <= covered + dt.timedelta(days=1)]
            reach = [end for end in reach if end is None or end > covered]
            if not reach:
                break
            covered = None if None in reach else max(end for end in reach if end is not None)
        if covered is not None:
            flips_on(covered + dt.timedelta(days=1))
        return
    reasons.append(Reason(Code.NO_CONTRACT))
    starts = [start for start, _ in contracts if start > today]
    if starts:
        flips_on(min(starts))


def _training(
    training: Iterable[TrainingFact],
    at: dt.datetime,
    tz: dt.tzinfo,
    reasons: list[Reason],
    boundaries: list[dt.datetime],
) -> None:
    for fact in training:
        state = fact.state
        if state is TrainingState.PASSED and fact.expires_at is not None and fact.expires_at <= at:
            state = TrainingState.EXPIRED  # the selector's moment and ours agree; this guards the edge
        if state is TrainingState.PASSED:
            if fact.expires_at is not None:
                boundaries.append(fact.expires_at)
        elif state is TrainingState.NOT_PASSED:
            reasons.append(Reason(Code.TRAINING_NOT_PASSED, {"course": fact.title}))
        elif state is TrainingState.EXPIRED:
            expired = f"{fact.expires_at.astimezone(tz):%Y-%m-%d %H:%M}" if fact.expires_at else ""
            reasons.append(Reason(Code.TRAINING_EXPIRED, {"course": fact.title, "expired_at": expired}))
        else:
            reasons.append(Reason(Code.TRAINING_RETAKE, {"course": fact.title}))


_CERTIFICATE_CODES = {
    CertificateState.MISSING: Code.CERTIFICATE_MISSING,
    CertificateState.EXPIRED: Code.CERTIFICATE_EXPIRED,
    CertificateState.REVIEW_OVERDUE: Code.CERTIFICATE_REVIEW_OVERDUE,
    CertificateState.UNVERIFIED: Code.CERTIFICATE_UNVERIFIED,
}


def _certificates(
    certificates: Iterable[CertificateFact], today: dt.date, reasons: list[Reason], flips_on: Any
) -> None:
    for fact in certificates:
        state = fact.state
        # Read the dates again on the decision's own day (the selector may have looked at another moment).
        if state in (CertificateState.VALID, CertificateState.UNVERIFIED):
            if fact.expires_on is not None and today > fact.expires_on:
                state = CertificateState.EXPIRED
            elif fact.next_review_on is not None and today > fact.next_review_on:
                state = CertificateState.REVIEW_OVERDUE
        if state is CertificateState.VALID or state is CertificateState.UNVERIFIED:
            for last in (fact.expires_on, fact.next_review_on):
                if last is not None:
                    flips_on(last + dt.timedelta(days=1))
        if state is CertificateState.VALID:
            continue
        params = {
            "requirement": fact.requirement,
            "number": _shown_number(fact.number),
            "expires_on": _day(fact.expires_on) if fact.expires_on else "",
            "next_review_on": _day(fact.next_review_on) if fact.next_review_on else "",
        }
        reasons.append(Reason(_CERTIFICATE_CODES[state], params))


def _shown_number(number: str) -> str:
    """A certificate number as a reason may show it: the facts carry the stored masked form already; an
    ID-like run (the 应急管理 操作证 is numbered with the holder's 公民身份号码) is masked again all the same,
    since reasons reach rosters, gate queues, e-mail and SMS."""
    return numbers.mask(number) if number else ""


def _blacklist(
    entries: Iterable[BlacklistFact], today: dt.date, reasons: list[Reason], flips_on: Any
) -> None:
    for entry in entries:
        if today < entry.starts_on:
            flips_on(entry.starts_on)
            continue
        if entry.ends_on is not None and today > entry.ends_on:
            continue
        if entry.ends_on is not None:
            flips_on(entry.ends_on + dt.timedelta(days=1))
        params = {
            "level": str(entry.level),
            "starts_on": _day(entry.starts_on),
            "ends_on": _day(entry.ends_on) if entry.ends_on else "",
            "reason": entry.reason,
        }
        reasons.append(Reason(Code.BLACKLISTED, params))


def _age(
    birth_date: dt.date | None, rules: Sequence[AgeRule], today: dt.date, reasons: list[Reason], flips_on: Any
) -> None:
    bounded = [rule for rule in rules if rule.min_age is not None or rule.max_age is not None]
    if not bounded:
        return
    if birth_date is None:
        reasons.append(Reason(Code.AGE_UNKNOWN))
        return
    if any(rule.sex_specific for rule in bounded):
        reasons.append(Reason(Code.AGE_SEX_UNKNOWN))
        bounded = [rule for rule in bounded if not rule.sex_specific]
    age = age_on(birth_date, today)
    refused = False
    for rule in bounded:
        if rule.min_age is not None and age < rule.min_age:
            params = {"age": str(age), "policy": rule.policy, "min_age": str(rule.min_age)}
            reasons.append(Reason(Code.AGE_BELOW_MINIMUM, params))
            refused = True
        if rule.max_age is not None and age > rule.max_age:
            params = {"age": str(age), "policy": rule.policy, "max_age": str(rule.max_age)}
            reasons.append(Reason(Code.AGE_ABOVE_MAXIMUM, params))
            refused = True
        elif rule.max_age is not None:
            flips_on(_birthday(birth_date, rule.max_age + 1))
    if refused:
        flips_on(_birthday(birth_date, age + 1))  # the reason states the age, which changes then
