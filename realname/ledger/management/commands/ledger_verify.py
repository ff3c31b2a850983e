"""``manage.py ledger_verify``: recompute the ledger from the event table and name every tampered row.

Each finding is one line ``KIND index=<leaf> event=<public id | pk=… | unknown>: <what was seen>``:
ALTERED (an event's canonical bytes no longer hash to its leaf), DELETED (a leaf whose event row or leaf
row is gone), INSERTED (an event that no leaf names), REORDERED (an event whose ledger index is not its
leaf's), CHECKPOINT (a bad signature, or the events give another root at a signed size) and STATE (the
running state disagrees with the events). Exit status 1 on any finding, 0 with a summary otherwise.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError

from realname.ledger import selectors


class Command(BaseCommand):
    help = (
        "从考勤事件表重新计算账本，逐条报告被修改、删除、插入或调换顺序的事件；发现问题时以非零状态退出。"
        " / Recompute the ledger from the events; report every altered, deleted, inserted or reordered one."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        report = selectors.verify_ledger()
        for finding in report.findings:
            self.stdout.write(str(finding))
        root = report.root.hex() if report.root is not None else "-"
        counts = f"{report.events} events, {report.leaves} leaves, {report.checkpoints} checkpoints"
        summary = f"{counts} checked; root {root}"
        if report.findings:
            raise CommandError(
                f"账本校验发现 {len(report.findings)} 处问题 / {len(report.findings)} findings; {summary}"
            )
        self.stdout.write(f"账本完整 / ledger intact: {summary}")
