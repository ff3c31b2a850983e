"""The national code tables (全国建筑工人管理服务信息平台数据标准) shipped as CSV data in this package.

Each file's first line is a comment naming its source; then ``code,name``. Codes are strings ("009",
"01"), never numbers, because their leading zeros are part of the code.
"""

from __future__ import annotations

import csv
from functools import cache
from pathlib import Path

_DIR = Path(__file__).resolve().parent / "dictionaries"

TABLES = (
    "participant_types",
    "trades",
    "id_types",
    "bank_codes",
    "units",
    "project_status",
    "project_categories",
    "education",
    "marital_status",
    "politics",
    "ethnicities",
    "worker_roles",
    "contract_period_types",
    "attendance_directions",
    "attendance_methods",
    "training_types",
    "async_status",
    "registration_types",
)


@cache
def table(name: str) -> dict[str, str]:
    """code → name for one dictionary, in file order."""
    if name not in TABLES:
        raise KeyError(name)
    rows: dict[str, str] = {}
    with (_DIR / f"{name}.csv").open(encoding="utf-8") as handle:
        lines = [line for line in handle if not line.startswith("#")]
    for row in csv.DictReader(lines):
        rows[row["code"].strip()] = row["name"].strip()
    return rows


def choices(name: str) -> list[tuple[str, str]]:
    return list(table(name).items())


def label(name: str, code: str | None) -> str:
    if not code:
        return ""
    return table(name).get(code, code)


@cache
def _by_name(name: str) -> dict[str, str]:
    return {value: code for code, value in table(name).items()}


def lookup(name: str, text: str) -> str | None:
    """The code for ``text`` given either as a code or as the exact name; None when neither matches."""
    text = text.strip()
    if text in table(name):
        return text
    return _by_name(name).get(text)


def max_code_length(name: str) -> int:
    return max(len(code) for code in table(name))
