"""A bank's 代发 file layout as plain data, checked (pure: no ORM queries).

There is no national file format for wage batches (regulations.md §2): each bank defines its own columns,
encoding and return file. ``BankFileLayout`` rows hold that as JSON; ``build_layout`` checks the JSON and
turns it into a ``LayoutSpec`` that the writers (``formats``) and the return parser (``returns``) read.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from django.utils.translation import gettext as _

from realname.core.text import listed

# Fields an export column may show. No ID number, masked or not: a masked one is useless to the bank and a
# full one is not to leave the platform in a payment file (docs/bank.md).
EXPORT_FIELDS = (
    "seq",  # 序号, 1, 2, 3 … in file order
    "reference",  # 业务参考号: our reference for the line, echoed back in the return file
    "name",  # 收款人姓名
    "card_number",  # 收款账号 (the worker's own card, plaintext only inside the file)
    "bank_code",  # 收款银行类别代码 (3-digit PBOC category code, bank_codes dictionary)
    "bank_name",  # 收款银行 / 开户行
    "amount",  # 金额 (yuan, two decimals)
    "currency",  # 币种: always CNY
    "memo",  # 用途 / 摘要
    "constant",  # a fixed text the bank wants in every row (e.g. 业务类型 = 代发工资); needs "value"
)
REQUIRED_EXPORT_FIELDS = ("reference", "name", "card_number", "amount")

RETURN_FIELDS = ("reference", "name", "card_number", "amount", "status", "reason")
REQUIRED_RETURN_FIELDS = ("reference", "amount", "status")

ENCODINGS = ("utf-8", "utf-8-sig", "gbk", "gb18030")
DELIMITERS = (",", ";", "\t", "|")

MAX_TITLE = 60
MAX_EDGE_ROWS = 50


class BankFileError(ValueError):
    """A bank file could not be written or read; ``messages`` says why, in words for the user."""

    def __init__(self, messages: Sequence[str]) -> None:
        self.messages = list(messages)
        super().__init__("；".join(self.messages))


class LayoutError(BankFileError):
    """A layout's data is not usable; ``by_field`` keys the messages by the model field they concern."""

    def __init__(self, by_field: Mapping[str, Sequence[str]]) -> None:
        self.by_field = {key: list(value) for key, value in by_field.items() if value}
        super().__init__([message for messages in self.by_field.values() for message in messages])


@dataclass(frozen=True)
class Column:
    field: str
    title: str
    value: str = ""  # only for "constant"


@dataclass(frozen=True)
class ReturnMapping:
    columns: Mapping[str, str | int]  # field → column title, or 1-based column number
    paid_values: tuple[str, ...]  # as written in the layout; compared without regard to case
    failed_values: tuple[str, ...]
    other_status_failed: bool  # a status in neither list is a failure (else it is an error)
    header_rows: (
        int  # rows above the data; when columns are found by title, the last of them holds the titles
    )
    footer_rows: int  # non-blank rows at the end that are not lines (e.g. 合计)

    def status_means_paid(self, status: str) -> bool | None:
        """True paid, False failed, None unknown."""
        key = status.strip().casefold()
        if key in {value.casefold() for value in self.paid_values}:
            return True
        if key in {value.casefold() for value in self.failed_values}:
            return False
        if self.other_status_failed and key:
            return False
        return None


@dataclass(frozen=True)
class LayoutSpec:
    name: str
    columns: tuple[Column, ...]
    encoding: str
    delimiter: str
    xlsx_summary: bool
    returns: ReturnMapping


class LayoutSource(Protocol):
    """What a stored layout (``models.BankFileLayout``) offers; ``spec_of`` reads it without queries."""

    name: str
    export_columns: Any
    encoding: str
    delimiter: str
    xlsx_summary: bool
    return_columns: Any
    return_paid_values: Any
    return_failed_values: Any
    return_other_status_failed: bool
    return_header_rows: int
    return_footer_rows: int


def spec_of(layout: LayoutSpec | LayoutSource) -> LayoutSpec:
    if isinstance(layout, LayoutSpec):
        return layout
    return build_layout(
        name=layout.name,
        export_columns=layout.export_columns,
        encoding=layout.encoding,
        delimiter=layout.delimiter,
        xlsx_summary=layout.xlsx_summary,
        return_columns=layout.return_columns,
        return_paid_values=layout.return_paid_values,
        return_failed_values=layout.return_failed_values,
        return_other_status_failed=layout.return_other_status_failed,
        return_header_rows=layout.return_header_rows,
        return_footer_rows=layout.return_footer_rows,
    )


def build_layout(
    *,
    name: str,
    export_columns: Any,
    encoding: str,
    delimiter: str,
    xlsx_summary: bool = True,
    return_columns: Any,
    return_paid_values: Any,
    return_failed_values: Any,
    return_other_status_failed: bool = False,
    return_header_rows: int = 1,
    return_footer_rows: int = 0,
) -> LayoutSpec:
    """Check a layout's data; raise ``LayoutError`` with every problem found, keyed by field."""
    errors: dict[str, list[str]] = {}
    columns = _export_columns(export_columns, errors.setdefault("export_columns", []))
    if encoding not in ENCODINGS:
        errors.setdefault("encoding", []).append(
            _("不支持的编码“%(value)s”，可选：%(choices)s")
            % {"value": encoding, "choices": listed(ENCODINGS)}
        )
    if delimiter not in DELIMITERS:
        errors.setdefault("delimiter", []).append(_("分隔符只能是逗号、分号、制表符或竖线"))
    for field, rows in (
        ("return_header_rows", return_header_rows),
        ("return_footer_rows", return_footer_rows),
    ):
        if isinstance(rows, bool) or not isinstance(rows, int) or not 0 <= rows <= MAX_EDGE_ROWS:
            errors.setdefault(field, []).append(
                _("行数应为 0 到 %(max)s 之间的整数") % {"max": MAX_EDGE_ROWS}
            )
    mapping = _return_columns(return_columns, errors.setdefault("return_columns", []))
    if (
        mapping
        and any(isinstance(where, str) for where in mapping.values())
        and isinstance(return_header_rows, int)
        and return_header_rows < 1
    ):
        errors.setdefault("return_header_rows", []).append(
            _("回盘列按列名查找时，表头行数至少为 1（列名在表头的最后一行）")
        )
    paid = _status_values(return_paid_values, errors.setdefault("return_paid_values", []), required=True)
    failed = _status_values(
        return_failed_values, errors.setdefault("return_failed_values", []), required=False
    )
    both = {value.casefold() for value in paid} & {value.casefold() for value in failed}
    if both:
        errors["return_failed_values"].append(
            _("状态值不能既表示成功又表示失败：%(values)s") % {"values": listed(sorted(both))}
        )
    if not failed and not return_other_status_failed:
        errors["return_failed_values"].append(_("请列出表示失败的状态值，或勾选“其他状态均视为失败”"))
    if any(errors.values()):
        raise LayoutError(errors)
    return LayoutSpec(
        name=name,
        columns=tuple(columns),
        encoding=encoding,
        delimiter=delimiter,
        xlsx_summary=bool(xlsx_summary),
        returns=ReturnMapping(
            columns=mapping,
            paid_values=paid,
            failed_values=failed,
            other_status_failed=bool(return_other_status_failed),
            header_rows=return_header_rows,
            footer_rows=return_footer_rows,
        ),
    )


def _export_columns(data: Any, errors: list[str]) -> list[Column]:
    if not isinstance(data, list) or not data:
        errors.append(_('导出列应为非空列表，每项形如 {"field": "name", "title": "收款人姓名"}'))
        return []
    columns: list[Column] = []
    titles: set[str] = set()
    fields: set[str] = set()
    for position, item in enumerate(data, start=1):
        where = _("第%(n)s列") % {"n": position}
        if not isinstance(item, dict):
            errors.append(_("%(where)s应为对象") % {"where": where})
            continue
        unknown = set(item) - {"field", "title", "value"}
        if unknown:
            errors.append(
                _("%(where)s有未知的键：%(keys)s")
                % {"where": where, "keys": listed(sorted(map(str, unknown)))}
            )
        field = item.get("field")
        title = item.get("title")
        if field not in EXPORT_FIELDS:
            errors.append(
                _("%(where)s的字段“%(field)s”不可用，可选：%(choices)s")
                % {"where": where, "field": field, "choices": listed(EXPORT_FIELDS)}
            )
            continue
        if not isinstance(title, str) or not title.strip() or len(title.strip()) > MAX_TITLE:
            errors.append(_("%(where)s的列名应为 1 到 %(max)s 个字") % {"where": where, "max": MAX_TITLE})
            continue
        title = title.strip()
        if title in titles:
            errors.append(_("列名“%(title)s”重复") % {"title": title})
        titles.add(title)
        value = item.get("value", "")
        if field == "constant":
            if not isinstance(value, str) or not value.strip():
                errors.append(_("%(where)s是固定值列，须给出 value") % {"where": where})
                continue
        else:
            if "value" in item:
                errors.append(_("%(where)s只有固定值列（constant）才能给出 value") % {"where": where})
            if field in fields:
                errors.append(_("字段“%(field)s”只能出现一次") % {"field": field})
            fields.add(field)
        columns.append(Column(field=field, title=title, value=value if field == "constant" else ""))
    missing = [field for field in REQUIRED_EXPORT_FIELDS if field not in fields]
    if missing and not errors:
        errors.append(_("导出列缺少必需字段：%(fields)s") % {"fields": listed(missing)})
    return columns


def _return_columns(data: Any, errors: list[str]) -> dict[str, str | int]:
    if not isinstance(data, dict):
        errors.append(_('回盘列映射应为对象，形如 {"reference": "业务参考号", "amount": "金额", …}'))
        return {}
    mapping: dict[str, str | int] = {}
    seen: dict[str | int, str] = {}
    for field, where in data.items():
        if field not in RETURN_FIELDS:
            errors.append(
                _("回盘字段“%(field)s”不可用，可选：%(choices)s")
                % {"field": field, "choices": listed(RETURN_FIELDS)}
            )
            continue
        if isinstance(where, str) and where.strip() and len(where.strip()) <= MAX_TITLE:
            key: str | int = where.strip()
        elif isinstance(where, int) and not isinstance(where, bool) and 1 <= where <= 500:
            key = where
        else:
            errors.append(_("回盘字段“%(field)s”应给出列名或列号（从 1 起）") % {"field": field})
            continue
        if key in seen:
            errors.append(
                _("回盘字段“%(a)s”和“%(b)s”指向同一列“%(where)s”")
                % {"a": seen[key], "b": field, "where": key}
            )
        seen[key] = field
        mapping[field] = key
    missing = [field for field in REQUIRED_RETURN_FIELDS if field not in data]
    if missing:
        errors.append(_("回盘列映射缺少必需字段：%(fields)s") % {"fields": listed(missing)})
    return mapping


def _status_values(data: Any, errors: list[str], *, required: bool) -> tuple[str, ...]:
    if not isinstance(data, list) or not all(isinstance(value, str) and value.strip() for value in data):
        errors.append(_('状态值应为非空文字的列表，如 ["成功", "S", "0000"]'))
        return ()
    if required and not data:
        errors.append(_("至少列出一个表示成功的状态值"))
    return tuple(dict.fromkeys(value.strip() for value in data))
