"""Layouts as data: the checks on their JSON (with messages a person can act on), the seeded generic
layout, one default per bank, and which layout a bank gets."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from realname.bank import formats
from realname.bank.layouts import LayoutError
from realname.bank.models import BankFileLayout
from realname.bank.returns import parse_return
from realname.bank.selectors import get_default_layout
from realname.bank.tests.samples import SEED, generic, header, three_lines

MINIMAL = [
    {"field": "reference", "title": "参考号"},
    {"field": "name", "title": "户名"},
    {"field": "card_number", "title": "账号"},
    {"field": "amount", "title": "金额"},
]


def problems(**changes: Any) -> dict[str, list[str]]:
    with pytest.raises(LayoutError) as caught:
        generic(**changes)
    return caught.value.by_field


def test_the_seeded_generic_layout_is_valid_and_in_chinese() -> None:
    spec = generic()
    assert [column.title for column in spec.columns] == [
        "序号",
        "收款人姓名",
        "收款账号",
        "收款银行",
        "金额",
        "用途",
        "业务参考号",
    ]
    assert spec.returns.columns["status"] == "处理状态"


def test_an_unknown_field_and_a_full_id_number_are_not_export_fields() -> None:
    errors = problems(export_columns=[*MINIMAL, {"field": "id_number", "title": "身份证号"}])
    assert list(errors) == ["export_columns"]
    assert "第5列的字段“id_number”不可用" in errors["export_columns"][0]


@pytest.mark.parametrize(
    ("columns", "message"),
    [
        ([], "导出列应为非空列表"),
        ({"field": "name"}, "导出列应为非空列表"),
        (MINIMAL[:3], "导出列缺少必需字段：amount"),
        ([*MINIMAL, {"field": "memo", "title": "户名"}], "列名“户名”重复"),
        ([*MINIMAL, {"field": "name", "title": "姓名2"}], "字段“name”只能出现一次"),
        ([*MINIMAL, {"field": "constant", "title": "类型"}], "第5列是固定值列，须给出 value"),
        (
            [*MINIMAL, {"field": "memo", "title": "用途", "value": "x"}],
            "只有固定值列（constant）才能给出 value",
        ),
        ([*MINIMAL, {"field": "memo", "title": " "}], "第5列的列名应为 1 到 60 个字"),
        ([*MINIMAL, {"field": "memo", "title": "用途", "width": 3}], "第5列有未知的键：width"),
        ([*MINIMAL, "memo"], "第5列应为对象"),
    ],
)
def test_export_column_problems_are_named(columns: Any, message: str) -> None:
    assert message in "；".join(problems(export_columns=columns)["export_columns"])


def test_two_constant_columns_are_allowed() -> None:
    spec = generic(
        export_columns=[
            *MINIMAL,
            {"field": "constant", "title": "类型", "value": "代发工资"},
            {"field": "constant", "title": "渠道", "value": "网银"},
        ]
    )
    assert [column.value for column in spec.columns[-2:]] == ["代发工资", "网银"]


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"encoding": "big5"}, "encoding", "不支持的编码“big5”"),
        ({"delimiter": ":"}, "delimiter", "分隔符只能是"),
        ({"return_columns": []}, "return_columns", "回盘列映射应为对象"),
        (
            {"return_columns": {"reference": "参考号", "amount": "金额"}},
            "return_columns",
            "缺少必需字段：status",
        ),
        (
            {"return_columns": {**SEED.RETURN_COLUMNS, "memo": "用途"}},
            "return_columns",
            "回盘字段“memo”不可用",
        ),
        ({"return_columns": {**SEED.RETURN_COLUMNS, "reason": 0}}, "return_columns", "应给出列名或列号"),
        ({"return_columns": {**SEED.RETURN_COLUMNS, "reason": True}}, "return_columns", "应给出列名或列号"),
        ({"return_columns": {**SEED.RETURN_COLUMNS, "reason": "金额"}}, "return_columns", "指向同一列“金额”"),
        ({"return_header_rows": 0}, "return_header_rows", "表头行数至少为 1"),
        ({"return_footer_rows": -1}, "return_footer_rows", "行数应为 0 到 50"),
        ({"return_paid_values": []}, "return_paid_values", "至少列出一个表示成功的状态值"),
        ({"return_paid_values": "成功"}, "return_paid_values", "状态值应为非空文字的列表"),
        ({"return_failed_values": ["失败", "成功"]}, "return_failed_values", "既表示成功又表示失败：成功"),
        ({"return_failed_values": []}, "return_failed_values", "或勾选“其他状态均视为失败”"),
    ],
)
def test_layout_problems_are_keyed_by_field(changes: dict[str, Any], field: str, message: str) -> None:
    errors = problems(**changes)
    assert field in errors
    assert message in "；".join(errors[field])


def test_status_values_are_compared_without_regard_to_case_or_spaces() -> None:
    mapping = generic(return_paid_values=["S", "0000"], return_failed_values=["F"]).returns
    assert mapping.status_means_paid(" s ") is True
    assert mapping.status_means_paid("0000") is True
    assert mapping.status_means_paid("f") is False
    assert mapping.status_means_paid("P") is None
    assert (
        generic(return_failed_values=[], return_other_status_failed=True).returns.status_means_paid("P")
        is False
    )


# --- stored layouts ----------------------------------------------------------------------------------------


def layout(**changes: Any) -> BankFileLayout:
    data: dict[str, Any] = {
        "name": "工商银行代发",
        "bank_code": "102",
        "is_default": True,
        "export_columns": MINIMAL,
        "return_columns": {"reference": "参考号", "amount": "金额", "status": "结果"},
        "return_paid_values": ["S"],
        "return_failed_values": ["F"],
    }
    data.update(changes)
    return BankFileLayout(**data)


@pytest.mark.django_db
def test_the_migration_seeds_one_generic_default_layout() -> None:
    seeded = BankFileLayout.objects.get(bank_code="", is_default=True)
    assert seeded.name == "通用代发格式"
    seeded.full_clean()
    assert seeded.spec() == generic()


@pytest.mark.django_db
def test_a_stored_layout_is_used_as_it_is_to_write_and_to_read_back() -> None:
    seeded = BankFileLayout.objects.get(name="通用代发格式")
    lines = three_lines()
    data = formats.to_csv(header(lines), lines, seeded)
    # The bank sends our file back with its two columns added.
    titles, *body = data.decode("gbk").splitlines()
    answered = "\r\n".join([f"{titles},处理状态,失败原因", *(f"{row},成功," for row in body)])
    rows = parse_return(answered.encode("gbk"), "回盘.csv", seeded)
    assert [row.reference for row in rows] == [line.reference for line in lines]
    assert all(row.paid for row in rows)


@pytest.mark.django_db
def test_clean_reports_bad_json_on_the_field_it_concerns() -> None:
    with pytest.raises(ValidationError) as caught:
        layout(export_columns=[{"field": "nope", "title": "x"}], return_failed_values=[]).full_clean()
    assert set(caught.value.message_dict) >= {"export_columns", "return_failed_values"}
    assert "字段“nope”不可用" in caught.value.message_dict["export_columns"][0]


@pytest.mark.django_db
def test_one_default_per_bank_category() -> None:
    layout().save()
    second = layout(name="工商银行代发（新）")
    with pytest.raises(ValidationError) as caught:
        second.full_clean()
    assert "该银行类别已有默认格式" in str(caught.value)
    with transaction.atomic(), pytest.raises(IntegrityError):
        second.save()
    layout(name="工商银行代发（备用）", is_default=False).save()  # not a default: any number


@pytest.mark.django_db
def test_a_bank_gets_its_own_default_else_the_generic_one() -> None:
    icbc = layout()
    icbc.save()
    assert get_default_layout(bank_code="102") == icbc
    generic_layout = get_default_layout(bank_code="105")
    assert generic_layout is not None and generic_layout.name == "通用代发格式"
    assert get_default_layout(bank_code="") == generic_layout


@pytest.mark.django_db
def test_a_banks_layout_is_added_in_the_admin_and_bad_json_is_refused_there(admin_client: Any) -> None:
    form = {
        "name": "建设银行代发",
        "bank_code": "105",
        "is_default": "on",
        "note": "",
        "export_columns": json.dumps([*MINIMAL[:3], {"field": "amount", "title": "交易金额"}]),
        "encoding": "gbk",
        "delimiter": ",",
        "xlsx_summary": "on",
        "return_columns": json.dumps({"reference": "参考号", "amount": "交易金额", "status": "交易状态"}),
        "return_paid_values": json.dumps(["交易成功"]),
        "return_failed_values": json.dumps(["交易失败"]),
        "return_header_rows": "1",
        "return_footer_rows": "1",
    }
    refused = admin_client.post(
        "/admin/bank/bankfilelayout/add/", {**form, "export_columns": json.dumps(MINIMAL[:2])}
    )
    assert refused.status_code == 200
    assert "导出列缺少必需字段：card_number、amount" in refused.content.decode()
    assert not BankFileLayout.objects.filter(name="建设银行代发").exists()
    saved = admin_client.post("/admin/bank/bankfilelayout/add/", form)
    assert saved.status_code == 302
    assert get_default_layout(bank_code="105").name == "建设银行代发"  # type: ignore[union-attr]


@pytest.mark.django_db
def test_the_seeded_layout_opens_in_the_admin(admin_client: Any) -> None:
    seeded = BankFileLayout.objects.get(name="通用代发格式")
    page = admin_client.get(f"/admin/bank/bankfilelayout/{seeded.pk}/change/")
    assert page.status_code == 200
    assert "业务参考号" in page.content.decode()
