"""`manage.py demo [--no-serve] [--workers N]`: seed the demo installation, print the logins, serve."""

from __future__ import annotations

import time
from typing import Any

from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandParser

from realname.core.demo_data import DEMO_PASSWORD, build_demo


class Command(BaseCommand):
    help = "Seed the demo data (idempotent), print the demo logins and serve on http://127.0.0.1:8000."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--no-serve", action="store_true", help="seed and print, but do not start the server"
        )
        parser.add_argument("--workers", type=int, default=600, help="number of demo workers (default 600)")
        parser.add_argument("--addr", default="127.0.0.1:8000", help="address to serve on")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["workers"] < 1:
            self.stderr.write("--workers 至少为 1")
            raise SystemExit(2)
        started = time.monotonic()
        result = build_demo(workers=options["workers"])
        took = time.monotonic() - started
        self.stdout.write(
            f"演示数据就绪：{result.workers} 名工人（本次新增 {result.created_workers}），"
            f"用时 {took:.1f} 秒。"
        )
        self.stdout.write(f"\n演示账号（密码均为 {DEMO_PASSWORD}）：")
        for username, role, scope in result.logins:
            self.stdout.write(f"  {username:<12} {role:<8} {scope}")
        self.stdout.write("")
        if not options["no_serve"]:
            self.stdout.write(f"在浏览器打开 http://{options['addr']}/ （Ctrl+C 停止）")
            call_command("runserver", options["addr"], use_reloader=False)
