from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import Client
from django.urls import reverse
from openpyxl import load_workbook

from realname.core import dictionaries
from realname.core.models import AuditAction, AuditEntry
from realname.testing import PASSWORD, World
from realname.workers.excel import HEADERS, build_template
from realname.workers.models import Worker
from realname.workers.services import find_worker, set_bank_card
from realname.workers.tests.test_import import person, xlsx

pytestmark = pytest.mark.django_db


def write(tmp_path: Path, rows: list[dict[str, Any] | None]) -> Path:
    path = tmp_path / "workers.xlsx"
    path.write_bytes(xlsx(rows).getvalue())
    return path


def command(*args: str) -> str:
    out = io.StringIO()
    call_command(*args, stdout=out)
    return out.getvalue()


def cell_texts(data: bytes | Path) -> list[str]:
    wb = load_workbook(io.BytesIO(data) if isinstance(data, bytes) else data, read_only=True)
    return [
        str(v) for ws in wb.worksheets for row in ws.iter_rows(values_only=True) for v in row if v is not None
    ]


# --- the template -----------------------------------------------------------------------------------------


def test_the_template_has_the_headers_drop_downs_and_an_instructions_sheet(tmp_path: Path) -> None:
    out = tmp_path / "template.xlsx"
    command("import_workers", "--template", str(out))
    wb = load_workbook(out)
    assert wb.sheetnames[0] == "工人信息"
    assert "说明" in wb.sheetnames
    assert wb["字典"].sheet_state == "hidden"
    ws = wb["工人信息"]
    headers = [c.value for c in ws[1]]
    assert headers == list(HEADERS)
    for required in (
        "姓名",
        "身份证号",
        "手机号",
        "工种",
        "班组",
        "参建单位",
        "银行卡号",
        "开户银行",
        "进场日期",
    ):
        assert required in headers
    assert "必填" in ws.cell(row=1, column=1).comment.text
    validated = {str(v.sqref).split(":")[0] for v in ws.data_validations.dataValidation}
    trade_column = "F"  # 工种
    assert headers[5] == "工种" and f"{trade_column}2" in validated
    lists = [c for row in wb["字典"].iter_rows(values_only=True) for c in row if c]
    assert "砌筑工" in lists and "汉" in lists
    help_text = " ".join(cell_texts(out))
    assert "1.10105E+17" in help_text and "长期" in help_text


def test_a_projects_template_lists_its_participants_and_teams(world: World) -> None:
    lists = [c for row in build_template(world.p1)["字典"].iter_rows(values_only=True) for c in row if c]
    assert world.company_a.name in lists and world.company_b.name in lists and world.team_a.name in lists
    assert world.company_c.name not in lists and world.team_c.name not in lists


def test_the_template_command_applies_the_users_scope(world: World, tmp_path: Path) -> None:
    with pytest.raises(CommandError, match="项目不存在或无权限"):
        command(
            "import_workers", "--template", str(tmp_path / "t.xlsx"), "--project", "P1", "--as", "charlie"
        )


# --- importing from the command line ----------------------------------------------------------------------


def test_the_import_command_imports_a_valid_file_as_the_operator(world: World, tmp_path: Path) -> None:
    rows = [person(world), person(world)]
    output = command("import_workers", str(write(tmp_path, rows)), "--project", "P1")
    assert "导入成功" in output
    assert all(find_worker(id_number=r["身份证号"]) is not None for r in rows)
    entry = AuditEntry.objects.get(action=AuditAction.IMPORT)
    assert entry.actor is None and entry.actor_label == "<command>"


def test_the_import_command_exits_1_and_lists_every_problem(world: World, tmp_path: Path) -> None:
    rows = [person(world), person(world, 工种="飞行员"), person(world, 进场日期="明天")]
    out = io.StringIO()
    with pytest.raises(CommandError) as failure:
        call_command("import_workers", str(write(tmp_path, rows)), "--project", "P1", stdout=out)
    assert failure.value.returncode == 1
    assert "第 3 行「工种」" in out.getvalue() and "第 4 行「进场日期」" in out.getvalue()
    assert Worker.objects.count() == 3


def test_a_dry_run_only_reports(world: World, tmp_path: Path) -> None:
    output = command("import_workers", str(write(tmp_path, [person(world)])), "--project", "P1", "--dry-run")
    assert "试运行" in output
    assert Worker.objects.count() == 3


def test_the_import_command_with_as_applies_that_users_scope(world: World, tmp_path: Path) -> None:
    path = write(tmp_path, [person(world)])  # the general contractor's participant
    with pytest.raises(CommandError, match="项目不存在或无权限"):
        command("import_workers", str(path), "--project", "P1", "--as", "charlie")
    with pytest.raises(CommandError) as failure:
        command("import_workers", str(path), "--project", "P1", "--as", "bob")
    assert failure.value.returncode == 1
    assert Worker.objects.count() == 3
    command("import_workers", str(path), "--project", "P1", "--as", "alice")
    assert AuditEntry.objects.get(action=AuditAction.IMPORT).actor == world.alice


# --- the roster export ------------------------------------------------------------------------------------


def test_the_export_command_writes_the_masked_roster_with_the_template_headers(
    world: World, tmp_path: Path
) -> None:
    set_bank_card(worker=world.worker_a, card_number="6222021234567890128", bank_name="中国工商银行")
    out = tmp_path / "roster.xlsx"
    command("export_workers", "--project", "P1", str(out))
    ws = load_workbook(out)["工人信息"]
    rows = list(ws.iter_rows(values_only=True))
    assert list(rows[0]) == list(HEADERS)
    assert {r[0] for r in rows[1:]} == {"张甲", "李乙"}
    texts = cell_texts(out)
    for worker in (world.worker_a, world.worker_b):
        assert worker.id_number() not in texts
        assert worker.id_number_masked in texts
    assert "6222021234567890128" not in texts and "6222 **** **** 0128" in texts
    assert dictionaries.label("trades", "010") in texts
    entry = AuditEntry.objects.get(action=AuditAction.EXPORT)
    assert entry.project_id == world.p1.pk and entry.changes["rows"] == 2


def test_the_export_command_with_as_exports_only_what_that_user_sees(world: World, tmp_path: Path) -> None:
    out = tmp_path / "roster.xlsx"
    command("export_workers", "--project", "P1", str(out), "--as", "bob")
    names = [r[0] for r in list(load_workbook(out)["工人信息"].iter_rows(values_only=True))[1:]]
    assert names == ["李乙"]
    with pytest.raises(CommandError, match="项目不存在或无权限"):
        command("export_workers", "--project", "P1", str(out), "--as", "charlie")


def test_the_export_page_downloads_the_masked_roster(world: World) -> None:
    client = Client()
    assert client.login(username="alice", password=PASSWORD)
    response = client.get(reverse("workers:export") + f"?project={world.p1.public_id}")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    texts = cell_texts(response.content)
    assert world.worker_a.id_number() not in texts and world.worker_a.id_number_masked in texts
    assert AuditEntry.objects.filter(action=AuditAction.EXPORT, actor=world.alice).count() == 1


def test_the_template_page_downloads_a_projects_template(world: World) -> None:
    client = Client()
    assert client.login(username="bob", password=PASSWORD)
    response = client.get(reverse("workers:import_template") + f"?project={world.p1.public_id}")
    assert response.status_code == 200
    assert world.company_b.name in cell_texts(response.content)
