"""``manage.py ledger_checkpoint``: sign the log's current size and root (run on a schedule)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from realname.ledger import services


class Command(BaseCommand):
    help = "签发考勤账本检查点（日志未增长时沿用最新检查点）。 / Sign a checkpoint of the attendance ledger."

    def handle(self, *args: Any, **options: Any) -> None:
        checkpoint, created = services.create_checkpoint()
        state = "新签发 / signed" if created else "日志未增长，沿用 / unchanged, latest"
        self.stdout.write(
            f"{state}: size={checkpoint.tree_size} root={checkpoint.root_hash} "
            f"time={checkpoint.created_at.isoformat()} key={checkpoint.key_id}"
        )
