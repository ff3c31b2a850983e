"""``manage.py import_workers FILE --project CODE [--as USERNAME] [--dry-run]`` and ``--template OUT.xlsx``.

Imports the worker spreadsheet (all rows or, on any error, none) and prints the report in Chinese; exits 1
when the file has errors. ``--template`` writes the blank import template instead.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from realname.accounts.roles import Perm
from realname.workers import excel
from realname.workers.importer import import_workers
from realname.workers.management.commands._common import acting_user, command_actor, scoped_project


class Command(BaseCommand):
    help = (
        "从 Excel 模板导入工人（任何一行有错误则全部不导入，退出码 1）；--template 写出空白模板。"
        " / Import workers from the Excel template, all or nothing; --template writes the blank template."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", nargs="?", help="要导入的 .xlsx 文件 / the .xlsx file to import")
        parser.add_argument("--project", help="项目编码 / project code")
        parser.add_argument(
            "--as", dest="username", help="以该用户的权限范围导入 / act with this user's scope"
        )
        parser.add_argument("--dry-run", action="store_true", help="只校验，不写入 / validate only")
        parser.add_argument("--template", metavar="OUT.xlsx", help="写出导入模板 / write the import template")

    def handle(self, *args: Any, **options: Any) -> None:
        user = acting_user(options["username"])
        with command_actor(user):
            if options["template"]:
                self._template(Path(options["template"]), options["project"], user)
                return
            if not options["file"] or not options["project"]:
                raise CommandError(
                    "用法 / usage: import_workers FILE --project CODE [--as USERNAME] [--dry-run]"
                )
            self._import(Path(options["file"]), options["project"], user, options["dry_run"])

    def _template(self, out: Path, code: str | None, user: Any) -> None:
        project = scoped_project(code, user, Perm.WORKERS_CHANGE) if code else None
        out.write_bytes(excel.template_bytes(project))
        self.stdout.write(f"已写出导入模板 → {out}")

    def _import(self, path: Path, code: str, user: Any, dry_run: bool) -> None:
        project = scoped_project(code, user, Perm.WORKERS_CHANGE)
        if not path.is_file():
            raise CommandError(f"文件不存在 / no such file: {path}")
        with path.open("rb") as handle:
            report = import_workers(
                project=project, source=handle, user=user, filename=path.name, dry_run=dry_run
            )
        self.stdout.write(report.as_text())
        if not report.ok:
            raise CommandError(f"导入失败：{len(report.errors)} 处错误，未导入任何数据", returncode=1)
