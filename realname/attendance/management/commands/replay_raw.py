"""Parse stored raw device messages again (after a parser fix, or after registering a device that was
unknown when it posted). Safe to run repeatedly: events already stored are absorbed as duplicates."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from realname.attendance import selectors, services


class Command(BaseCommand):
    help = "Re-parse stored raw device messages and ingest their events / 重新解析设备原始报文"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--id", type=int, action="append", dest="ids", help="a raw message id (repeatable)"
        )
        parser.add_argument("--failed", action="store_true", help="every raw message whose parsing failed")

    def handle(self, *args: Any, **options: Any) -> None:
        ids: list[int] | None = options["ids"]
        failed: bool = options["failed"]
        if not ids and not failed:
            raise CommandError("give --id N or --failed")
        rows = list(selectors.list_raw_messages_to_replay(ids=ids, failed=failed))
        if ids and len(rows) != len(set(ids)):
            found = {row.pk for row in rows}
            raise CommandError(f"no raw message {sorted(set(ids) - found)}")
        totals = {"accepted": 0, "duplicates": 0, "failed": 0}
        for raw in rows:
            result = services.process_raw_message(raw=raw, replay=True)
            totals["accepted"] += result.accepted
            totals["duplicates"] += result.duplicates
            totals["failed"] += result.status == "failed"
            self.stdout.write(
                f"#{raw.pk} {raw.kind} {raw.serial}: {result.status}, "
                f"{result.accepted} new, {result.duplicates} duplicate, {result.errors} error(s)"
            )
        self.stdout.write(
            f"replayed {len(rows)} raw message(s): {totals['accepted']} new event(s), "
            f"{totals['duplicates']} duplicate(s), {totals['failed']} still failing"
        )
