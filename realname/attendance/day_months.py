"""A month of each employment's DayRecords, summed up by the database as the records are written
(考勤月汇总, the :class:`~realname.attendance.days.DayRecordMonth` rows).

Pay reads a month of 10,000 workers as 10,000 of these rows instead of summing 300,000 DayRecords up each
time (docs/performance.md, "Pay sheets"). A row holds what :class:`realname.payroll.calc.Attendance` holds:

* **bit masks of the days**: bit ``n`` is the month's ``(n+1)``-th day. Each record has its own date, so
  its bit is in a month's sum once, and the sums of the bits are the masks;
* **hours, as whole hundredths of an hour** (``*_x100``): DayRecord hours have two places, so they add
  up exactly on either database.

A record's share of its month row is a sum, so the triggers keep the rows by adding and taking away:

* a record written adds its share;
* a record deleted takes its share away;
* a record changed takes the old share away and adds the new one (nothing is written when neither share
  differs, as when only ``computed_at`` changes);
* a month row whose last record went is deleted.

On PostgreSQL one trigger per statement reads the statement's rows from its transition tables (a COPY of
10,000 records is one INSERT … SELECT … GROUP BY), and a TRUNCATE of the records empties the months too. On
SQLite (development, tests) one trigger per row does the same.

Beware: on SQLite a later migration that alters ``attendance_dayrecord`` rebuilds the table and drops
these triggers; such a migration must call :func:`install` again. A test checks that they are there.
:func:`rebuild` sums every month up again from the records (``manage.py rebuild_day_record_months``):
for a database restored with triggers disabled, for instance.
"""

from __future__ import annotations

from typing import Any, Final

from realname.core import db_triggers

TABLE: Final = "attendance_dayrecordmonth"
SOURCE: Final = "attendance_dayrecord"
KEYS: Final = ("project_id", "employment_id", "month")

_WORKING = "{r}.day_kind IN ('workday', 'adjusted_workday')"
_REGULAR = f"{_WORKING} AND {{r}}.hours > {{r}}.overtime_hours"

# (column, a mask or hours ×100, of which hours, on which days) in calc.Attendance's order.
COLUMNS: Final[tuple[tuple[str, str, str, str], ...]] = (
    ("recorded", "mask", "", ""),
    ("worked", "mask", "", "{r}.hours > 0"),
    ("full", "mask", "", f"{_WORKING} AND {{r}}.hours > 0 AND NOT {{absent}} AND NOT {{half_day}}"),
    ("half", "mask", "", f"{_WORKING} AND {{r}}.hours > 0 AND NOT {{absent}} AND {{half_day}}"),
    ("missing", "mask", "", f"{_WORKING} AND {{r}}.hours <= 0 AND {{missing_punch}}"),
    ("regular", "mask", "", _REGULAR),
    ("regular_hours_x100", "hours", "{r}.hours - {r}.overtime_hours", _REGULAR),
    ("hours_x100", "hours", "{r}.hours", ""),
    ("overtime_hours_x100", "hours", "{r}.overtime_hours", ""),
    *(
        column
        for kind, kinds in (
            # A record with no overtime kind is a working day's overtime (as realname.payroll.selectors
            # reads single days).
            ("workday", "'workday', ''"),
            ("rest_day", "'rest_day'"),
            ("holiday", "'holiday'"),
        )
        for column in (
            (
                f"{kind}_overtime",
                "mask",
                "",
                f"{{r}}.overtime_hours > 0 AND {{r}}.overtime_kind IN ({kinds})",
            ),
            (
                f"{kind}_overtime_hours_x100",
                "hours",
                "{r}.overtime_hours",
                f"{{r}}.overtime_hours > 0 AND {{r}}.overtime_kind IN ({kinds})",
            ),
        )
    ),
)
NAMES: Final = tuple(name for name, *_ in COLUMNS)
_QUOTED: Final = tuple(f'"{name}"' for name in NAMES)  # "full" is a keyword in PostgreSQL

TRIGGERS: Final = (  # on either database
    "attendance_day_month_added",
    "attendance_day_month_changed",
    "attendance_day_month_removed",
)
EMPTIED: Final = "attendance_day_month_emptied"  # PostgreSQL's, on TRUNCATE

_VENDOR: Final = {
    "postgresql": {
        # int shares (a mask of 31 days, 999.99 hours × 100 fit): SUM of int is a bigint, not a numeric
        "bit": "(1 << (date_part('day', {r}.work_date)::int - 1))",
        "month": "({r}.work_date - (date_part('day', {r}.work_date)::int - 1))",
        "x100": "(({v}) * 100)::int",  # two places: exact
        # jsonb's ? operator: the array holds that string
        "absent": "{r}.statuses ? 'absent'",
        "half_day": "{r}.statuses ? 'half_day'",
        "missing_punch": "{r}.statuses ? 'missing_punch'",
    },
    "sqlite": {
        "bit": "(1 << (CAST(strftime('%d', {r}.work_date) AS INTEGER) - 1))",
        "month": "date({r}.work_date, 'start of month')",
        "x100": "CAST(ROUND(({v}) * 100) AS INTEGER)",  # SQLite keeps decimals as floats: round once
        "absent": """({r}.statuses LIKE '%"absent"%')""",
        "half_day": """({r}.statuses LIKE '%"half_day"%')""",
        "missing_punch": """({r}.statuses LIKE '%"missing_punch"%')""",
    },
}


def _shares(vendor: str, r: str, sign: str = "") -> list[str]:
    """One record's share of each column, as SQL over the record ``r`` (negated with ``sign="-"``)."""
    words = _VENDOR[vendor]
    tests = {name: words[name].format(r=r) for name in ("absent", "half_day", "missing_punch")}
    out = []
    for _name, what, of, when in COLUMNS:
        value = words["bit"].format(r=r) if what == "mask" else words["x100"].format(v=of.format(r=r))
        if when:
            value = f"CASE WHEN {when.format(r=r, **tests)} THEN {value} ELSE 0 END"
        out.append(f"{sign}{value}")
    return out


def _month(vendor: str, r: str) -> str:
    return _VENDOR[vendor]["month"].format(r=r)


def _grouped(vendor: str, relation: str, sign: str = "") -> str:
    """The rows of ``relation`` summed up per (project, employment, month), each column named."""
    month = _month(vendor, "r")
    sums = ", ".join(
        f"SUM({share}) AS {name}" for share, name in zip(_shares(vendor, "r", sign), _QUOTED, strict=True)
    )
    return (
        f"SELECT r.project_id, r.employment_id, {month} AS month, {sums}"  # noqa: S608 - our own constants
        f" FROM {relation} r GROUP BY r.project_id, r.employment_id, {month}"
    )


def _columns() -> str:
    return ", ".join((*KEYS, *_QUOTED))


def _add_on_conflict(row: str = "s", new: str = "EXCLUDED") -> str:
    sets = ", ".join(f"{name} = {row + '.' if row else ''}{name} + {new}.{name}" for name in _QUOTED)
    return f"ON CONFLICT ({', '.join(KEYS)}) DO UPDATE SET {sets}"


def _postgresql() -> list[str]:
    grouped_new = _grouped("postgresql", "new_rows")
    grouped_old = _grouped("postgresql", "old_rows", "-")
    old_keys = f"SELECT r.project_id, r.employment_id, {_month('postgresql', 'r')} FROM old_rows r"  # noqa: S608
    drop_empty = (
        f"DELETE FROM {TABLE} s WHERE s.recorded = 0"  # noqa: S608 - our own constants
        f" AND (s.project_id, s.employment_id, s.month) IN ({old_keys})"
    )
    # A changed record: its new share less its old one, per month row; rows with no difference skipped.
    moved = ", ".join(f"SUM(d.{name}) AS {name}" for name in _QUOTED)
    differs = " OR ".join(f"SUM(d.{name}) <> 0" for name in _QUOTED)
    changed = (
        f"SELECT d.project_id, d.employment_id, d.month, {moved}"  # noqa: S608 - our own constants
        f" FROM ({grouped_new} UNION ALL {grouped_old}) d"
        f" GROUP BY d.project_id, d.employment_id, d.month HAVING {differs}"
    )
    take_away = ", ".join(f"{name} = s.{name} + o.{name}" for name in _QUOTED)
    functions = {
        "attendance_day_month_added": (
            f"INSERT INTO {TABLE} AS s ({_columns()}) {grouped_new} {_add_on_conflict()};"  # noqa: S608
        ),
        "attendance_day_month_changed": (
            f"INSERT INTO {TABLE} AS s ({_columns()}) {changed} {_add_on_conflict()};"  # noqa: S608
            f" {drop_empty};"
        ),
        "attendance_day_month_removed": (
            f"UPDATE {TABLE} s SET {take_away} FROM ({grouped_old}) o"  # noqa: S608 - our own constants
            " WHERE s.project_id = o.project_id AND s.employment_id = o.employment_id AND s.month = o.month;"
            f" {drop_empty};"
        ),
        # DELETE, not TRUNCATE: a TRUNCATE of both tables (Django's flush) has the months still in use.
        EMPTIED: f"DELETE FROM {TABLE};",  # noqa: S608 - our own constant
    }
    statements = [
        f"CREATE OR REPLACE FUNCTION {name}() RETURNS trigger AS $$"
        f" BEGIN {body} RETURN NULL; END; $$ LANGUAGE plpgsql"
        for name, body in functions.items()
    ]
    for name, event, referencing in (
        ("attendance_day_month_added", "INSERT", "NEW TABLE AS new_rows"),
        ("attendance_day_month_changed", "UPDATE", "OLD TABLE AS old_rows NEW TABLE AS new_rows"),
        ("attendance_day_month_removed", "DELETE", "OLD TABLE AS old_rows"),
        (EMPTIED, "TRUNCATE", ""),
    ):
        statements += [
            f"DROP TRIGGER IF EXISTS {name} ON {SOURCE}",
            f"CREATE TRIGGER {name} AFTER {event} ON {SOURCE}"
            + (f" REFERENCING {referencing}" if referencing else "")
            + f" FOR EACH STATEMENT EXECUTE FUNCTION {name}()",
        ]
    return statements


def _sqlite() -> list[str]:
    def key(r: str) -> str:
        return (
            f"project_id = {r}.project_id AND employment_id = {r}.employment_id"
            f" AND month = {_month('sqlite', r)}"
        )

    def add(r: str) -> str:
        values = ", ".join(
            (f"{r}.project_id", f"{r}.employment_id", _month("sqlite", r), *_shares("sqlite", r))
        )
        return f"INSERT INTO {TABLE} ({_columns()}) VALUES ({values}) {_add_on_conflict('', 'excluded')};"  # noqa: S608

    def take_away(r: str) -> str:
        sets = ", ".join(
            f"{name} = {name} - ({share})" for name, share in zip(_QUOTED, _shares("sqlite", r), strict=True)
        )
        return (
            f"UPDATE {TABLE} SET {sets} WHERE {key(r)};"  # noqa: S608 - our own constants
            f" DELETE FROM {TABLE} WHERE {key(r)} AND recorded = 0;"
        )

    # A changed record: its old share away (the row then dropped if that was its last), its new share in.
    return [
        f"CREATE TRIGGER IF NOT EXISTS attendance_day_month_added AFTER INSERT ON {SOURCE}"
        f" BEGIN {add('NEW')} END",
        f"CREATE TRIGGER IF NOT EXISTS attendance_day_month_changed AFTER UPDATE ON {SOURCE}"
        f" BEGIN {take_away('OLD')} {add('NEW')} END",
        f"CREATE TRIGGER IF NOT EXISTS attendance_day_month_removed AFTER DELETE ON {SOURCE}"
        f" BEGIN {take_away('OLD')} END",
    ]


def install(connection: Any) -> None:
    """Create (or replace) the triggers that keep the month rows."""
    db_triggers.run(connection, {"postgresql": _postgresql(), "sqlite": _sqlite()})


def uninstall(connection: Any) -> None:
    every = (*TRIGGERS, EMPTIED)
    db_triggers.run(
        connection,
        {
            "postgresql": [
                *(f"DROP TRIGGER IF EXISTS {name} ON {SOURCE}" for name in every),
                *(f"DROP FUNCTION IF EXISTS {name}()" for name in every),
            ],
            "sqlite": [f"DROP TRIGGER IF EXISTS {name}" for name in TRIGGERS],
        },
    )


def summed_up(connection: Any) -> str:
    """SQL: every month of every employment summed up from the DayRecords as they are now (the columns of
    the month rows, keys first)."""
    vendor = "postgresql" if connection.vendor == "postgresql" else "sqlite"
    return _grouped(vendor, SOURCE)


def rebuild(connection: Any) -> int:
    """Sum every month up again from the DayRecords; returns the number of month rows."""
    with connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {TABLE}")  # noqa: S608 - our own constant
        cursor.execute(f"INSERT INTO {TABLE} ({_columns()}) {summed_up(connection)}")  # noqa: S608
        cursor.execute(f"SELECT COUNT(*) FROM {TABLE}")  # noqa: S608 - our own constant
        return int(cursor.fetchone()[0])
