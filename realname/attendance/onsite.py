"""Who is on site now (在场人员 / 应急点名): the emergency muster list of a project, grouped by gate area.

A person is inside when their latest punch within the last :data:`WINDOW` is an entry. Known people are
keyed by employment, unknown persons (no mapping, ``employment`` null) by the identifier the device sent;
unknown persons still inside are listed separately, because they matter for an evacuation too.

Direction: "01" is in, "02" is out. A punch without a direction alternates the way
:mod:`realname.attendance.rules` pairs them (``_directions``): the first punch of the window counts as an
entry, an unknown punch after an entry as an exit and after an exit as an entry. Unlike the daily rules
there is no debounce and the alternation starts at the window's start rather than the work day's.

Efficient regardless of headcount: one query reads each person's latest punch in the window (a correlated
subquery on the newest (occurred_at, id), portable across databases); a second query, only when some
latest punch has no direction, reads those people's punches of the window to alternate them.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from django.db.models import OuterRef, Q, QuerySet, Subquery
from django.utils import timezone

from realname.accounts.roles import Perm
from realname.accounts.scope import restrict
from realname.attendance.models import AccessEvent
from realname.attendance.rules import infer_direction
from realname.orgs.models import Project

# How far back a punch still says where someone is: long enough for a day shift with overtime, short enough
# that yesterday's forgotten exit does not keep a person "inside" forever.
WINDOW = dt.timedelta(hours=16)
# A device clock running a little ahead must not hide the person who just came in.
CLOCK_AHEAD_ALLOWANCE = dt.timedelta(minutes=5)

IN = "01"


def inside_after(directions: Iterable[str]) -> bool:
    """Whether punch directions, oldest first, leave the person inside (the alternation of rules.py)."""
    previous = ""
    for direction in directions:
        previous = infer_direction(previous, direction)
    return previous == IN


@dataclass(frozen=True)
class Inside:
    """One person inside and the punch that put them there (their latest of the window)."""

    event: AccessEvent

    @property
    def area(self) -> str:
        return self.event.device.area

    @property
    def entered_at(self) -> dt.datetime:
        return self.event.occurred_at

    @property
    def known(self) -> bool:
        return self.event.employment_id is not None


@dataclass(frozen=True)
class AreaGroup:
    """The people inside through one gate area ("" when the gate has no area)."""

    area: str
    people: tuple[Inside, ...]
    unknown: int

    @property
    def count(self) -> int:
        return len(self.people) + self.unknown


@dataclass(frozen=True)
class Onsite:
    """A project's muster list at one moment, as far as the user may see it."""

    project: Project
    at: dt.datetime
    since: dt.datetime
    people: tuple[Inside, ...]  # known workers, by area, team, name
    unknown: tuple[Inside, ...]  # unknown persons, by entry time

    @property
    def total(self) -> int:
        return len(self.people) + len(self.unknown)

    @property
    def areas(self) -> tuple[AreaGroup, ...]:
        names = {p.area for p in self.people} | {p.area for p in self.unknown}
        return tuple(
            AreaGroup(
                area=name,
                people=tuple(p for p in self.people if p.area == name),
                unknown=sum(1 for p in self.unknown if p.area == name),
            )
            for name in sorted(names, key=lambda a: (not a, a))  # named areas first
        )


def _person_key(employment_id: int | None, person_ref_kind: str, person_ref: str) -> tuple[Any, ...]:
    """Known people are one person per employment; unknown ones per identifier within the project."""
    if employment_id is not None:
        return ("employment", employment_id)
    return ("ref", person_ref_kind, person_ref)


def _inferred_inside(
    window: QuerySet[AccessEvent], undirected: Sequence[AccessEvent]
) -> set[tuple[Any, ...]]:
    """The keys of the people whose direction-less latest punch, alternated, is an entry (one query)."""
    if not undirected:
        return set()
    employment_ids = {e.employment_id for e in undirected if e.employment_id is not None}
    refs = {e.person_ref for e in undirected if e.employment_id is None}
    rows = (
        window.filter(Q(employment_id__in=employment_ids) | Q(employment__isnull=True, person_ref__in=refs))
        .order_by("occurred_at", "id")
        .values("employment_id", "person_ref_kind", "person_ref", "direction")
    )
    history: dict[tuple[Any, ...], list[str]] = {}
    for row in rows:
        key = _person_key(row["employment_id"], row["person_ref_kind"], row["person_ref"])
        history.setdefault(key, []).append(row["direction"])
    return {key for key, directions in history.items() if inside_after(directions)}


def list_onsite(
    *, project: Project, user: Any, now: dt.datetime | None = None, window: dt.timedelta = WINDOW
) -> Onsite:
    """Who of the project's people the user may see is inside now, by gate area (Perm.WORKERS_VIEW scope)."""
    at = now or timezone.now()
    since = at - window
    in_window = AccessEvent.objects.filter(
        project=project, occurred_at__gte=since, occurred_at__lte=at + CLOCK_AHEAD_ALLOWANCE
    )
    newest = ("-occurred_at", "-id")
    latest_known = in_window.filter(employment=OuterRef("employment")).order_by(*newest).values("id")[:1]
    latest_unknown = (
        in_window.filter(
            employment__isnull=True,
            person_ref_kind=OuterRef("person_ref_kind"),
            person_ref=OuterRef("person_ref"),
        )
        .order_by(*newest)
        .values("id")[:1]
    )
    latest = list(
        restrict(in_window, user, Perm.WORKERS_VIEW)
        .filter(
            Q(employment__isnull=False, id=Subquery(latest_known))
            | Q(employment__isnull=True, id=Subquery(latest_unknown))
        )
        .select_related("device", "worker", "employment__team")
    )
    inferred = _inferred_inside(in_window, [e for e in latest if not e.direction])
    inside = [
        Inside(e)
        for e in latest
        if e.direction == IN
        or (not e.direction and _person_key(e.employment_id, e.person_ref_kind, e.person_ref) in inferred)
    ]
    people = sorted(
        (p for p in inside if p.known),
        key=lambda p: (
            not p.area,
            p.area,
            p.event.employment.team.name if p.event.employment and p.event.employment.team else "",
            p.event.worker.name if p.event.worker else "",
        ),
    )
    unknown = sorted((p for p in inside if not p.known), key=lambda p: (p.entered_at, p.event.pk))
    return Onsite(project=project, at=at, since=since, people=tuple(people), unknown=tuple(unknown))
