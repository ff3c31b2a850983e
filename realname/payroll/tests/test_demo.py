"""The demo's pay: a period with sheets from the demo gate's days, one sheet approved, warnings to show."""

from __future__ import annotations

import pytest

from realname.core.demo_data import build_demo
from realname.payroll.models import ArrearsWarning, PayLine, PayPeriod, PaySheet, SheetStatus, WageDeposit

pytestmark = pytest.mark.django_db


def test_the_demo_pays_its_month_and_a_second_run_changes_nothing() -> None:
    build_demo(workers=30)
    # the month most punches fall in; the arrears check also opens the month before when it has attendance
    period = PayPeriod.objects.filter(project__code="DEMO-1").order_by("-month").first()
    assert period is not None
    sheets = PaySheet.objects.filter(period=period)
    assert sheets.count() >= 2
    assert sheets.filter(status=SheetStatus.GC_APPROVED).count() == 1  # the team leader's, all the way
    assert sheets.filter(status=SheetStatus.DRAFT).exists()
    lines = PayLine.objects.filter(sheet__period=period)
    assert lines.filter(net__gt=0).count() >= 10
    assert any(p["code"] == "deduction.meals" for line in lines for p in line.parts)
    assert WageDeposit.objects.filter(project=period.project).count() == 1
    from realname.accounts.models import User
    from realname.payroll.selectors import own_lines

    waiting = own_lines(User.objects.get(username="worker"))
    assert [line.sheet.status for line in waiting] == [SheetStatus.TEAM_CONFIRMED]  # the phone page's turn
    counts = (PaySheet.objects.count(), PayLine.objects.count(), ArrearsWarning.objects.count())
    build_demo(workers=30)
    assert (PaySheet.objects.count(), PayLine.objects.count(), ArrearsWarning.objects.count()) == counts
