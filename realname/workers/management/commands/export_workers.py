"""``manage.py export_workers --project CODE OUT.xlsx [--as USERNAME]``: the masked roster, audited."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from realname.accounts.roles import Perm
from realname.workers import excel
from realname.workers.management.commands._common import acting_user, command_actor, scoped_project


class Command(BaseCommand):
    help = (
        "导出项目在场工人花名册（.xlsx，表头同导入模板，证件号码和银行卡号脱敏）。"
        " / Export the project's roster with the template's headers, masked."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("out", metavar="OUT.xlsx", help="输出文件 / output file")
        parser.add_argument("--project", required=True, help="项目编码 / project code")
        parser.add_argument(
            "--as", dest="username", help="以该用户的权限范围导出 / act with this user's scope"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        user = acting_user(options["username"])
        with command_actor(user):
            project = scoped_project(options["project"], user, Perm.EXPORT)
            data, count = excel.export_roster(project=project, user=user)
        out = Path(options["out"])
        out.write_bytes(data)
        self.stdout.write(f"已导出 {count} 名在场工人 → {out}（证件号码、银行卡号已脱敏）")
