"""`manage.py demo [--no-serve] [--workers N]`: seed the demo installation, print the logins, serve."""

from __future__ import annotations

import time
from typing import Any

from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandParser

from realname.attendance.models import DeviceKind
from realname.core.demo_data import DEMO_PASSWORD, DemoResult, build_demo


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
        self.write_devices(result, options["addr"])
        self.stdout.write(
            f"演示考勤：DEMO-1 东大门近 30 天 {result.punches} 条打卡（本次新增 {result.new_punches}），"
            f"已生成日考勤、月度考勤表和 {result.notifications} 条新预警通知"
            "（用 labour、pm、team_leader 或 safety 登录查看“考勤”“通知”）。"
        )
        for code, allowed, denied in result.admission:
            self.stdout.write(
                f"演示准入：{code} 准入 {allowed} 人、不准入 {denied} 人"
                "（未核验身份、未通过培训、缺证、超龄、黑名单等，原因见项目“准入名单”与花名册），"
                "闸机白名单命令已排队。"
            )
        self.stdout.write("")
        if not options["no_serve"]:
            self.stdout.write(f"在浏览器打开 http://{options['addr']}/ （Ctrl+C 停止）")
            call_command("runserver", options["addr"], use_reloader=False)

    def write_devices(self, result: DemoResult, addr: str) -> None:
        """The settings to enter on the demo terminals. The Hikvision URL holds the device's secret: it is
        printed for the operator who owns the terminal, and deliberately never logged."""
        base = f"http://{addr}"
        host, _, port = addr.rpartition(":")
        self.stdout.write("演示考勤设备（项目 DEMO-1）：")
        for device in result.devices:
            self.stdout.write(f"  {device.serial}  {device.name}  已映射人员 {device.identities} 名")
            if device.kind == DeviceKind.ZKTECO:
                self.stdout.write(
                    f"    中控 PUSH：服务器地址 {host or addr}，端口 {port or 80}，"
                    "路径 /iclock/cdata、/iclock/getrequest、/iclock/devicecmd"
                    f"（设备序列号须为 {device.serial}）"
                )
                self.stdout.write(f"    PIN 1…{device.identities} = DEMO-1 的前 {device.identities} 名工人")
            elif device.kind == DeviceKind.HIKVISION:
                self.stdout.write(
                    "    海康 ISAPI 事件推送地址（含设备密钥，请妥善保管）："
                    f"{base}/devices/hik/{device.secret}/events"
                )
                self.stdout.write(
                    f"    employeeNo 1…{device.identities} = DEMO-1 的前 {device.identities} 名工人"
                )
        self.stdout.write("")
