"""Sum every employment's month of DayRecords up again (the DayRecordMonth rows pay reads).

The database's triggers keep those rows as records are written (realname/attendance/day_months.py); this is
for a database whose records were loaded with the triggers off (a restore with ``--disable-triggers``, a
bulk load with ``session_replication_role = replica``). It runs in one transaction: readers see the old
rows or the new ones."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand
from django.db import connection, transaction

from realname.attendance import day_months


class Command(BaseCommand):
    help = "Sum every month of DayRecords up again / 按日考勤重算全部考勤月汇总"

    def handle(self, *args: Any, **options: Any) -> None:
        with transaction.atomic():
            rows = day_months.rebuild(connection)
        self.stdout.write(f"考勤月汇总已重算：{rows} 行 / {rows} month row(s) rebuilt")
