"""The day-record pages: a project's list of one work day (filters, badges, constant queries, scope) and one
day explained (statuses with the rule values that decided them, intervals, day kind, source punches)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from realname.attendance import daycalc, monthly
from realname.attendance.tests.test_monthly import Month, build_month, client_for, day, may, punch
from realname.testing import World, employ, make_worker
from realname.workers.models import Employment

pytestmark = pytest.mark.django_db


@pytest.fixture
def month(world: World) -> Month:
    return build_month(world)


def list_url(month: Month, **params: str) -> str:
    query = "&".join(f"{k}={v}" for k, v in params.items())
    return reverse("attendance:day_list", args=[month.world.p1.public_id]) + (f"?{query}" if query else "")


def detail_url(employment: Employment, on: dt.date) -> str:
    return reverse("attendance:day_detail", args=[employment.public_id, on.isoformat()])


def names(response) -> list[str]:  # type: ignore[no-untyped-def]
    return [record.worker.name for record, _badges in response.context["rows"]]


# --- the list -----------------------------------------------------------------------------------------------


def test_the_list_shows_one_work_day_with_times_hours_and_status_badges(month: Month) -> None:
    response = client_for(month.world.alice).get(list_url(month, date="2026-05-07"))

    assert response.status_code == 200
    assert sorted(names(response)) == ["张甲", "李乙"]
    html = response.content.decode()
    assert "08:17" in html and "17:30" in html  # wendy's first in and last out, in the project's zone
    assert "8.22" in html
    assert '<span class="badge warn">迟到</span>' in html
    assert '<span class="badge ok">出勤</span>' in html
    assert "甲钢筋班" in html and "乙木工班" in html
    assert detail_url(month.a, may(7)) in html


def test_the_list_shows_overtime_with_its_kind(month: Month) -> None:
    html = client_for(month.world.alice).get(list_url(month, date="2026-05-02")).content.decode()
    assert "8.00" in html and "节假日" in html


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"status": "late"}, ["张甲"]),
        ({"status": "present"}, ["李乙"]),
        ({"status": "absent"}, []),
        ({"name": "李"}, ["李乙"]),
        ({"name": "张甲"}, ["张甲"]),
        ({"status": "nonsense"}, ["张甲", "李乙"]),  # an invalid filter is not applied
    ],
)
def test_the_list_filters_by_status_and_name(
    month: Month, params: dict[str, str], expected: list[str]
) -> None:
    response = client_for(month.world.alice).get(list_url(month, date="2026-05-07", **params))
    assert sorted(names(response)) == sorted(expected)


def test_the_list_filters_by_team_and_by_date(month: Month) -> None:
    client = client_for(month.world.alice)
    team_b = client.get(list_url(month, date="2026-05-07", team=str(month.world.team_b.public_id)))
    assert names(team_b) == ["李乙"]
    team_a = client.get(list_url(month, date="2026-05-07", team=str(month.world.team_a.public_id)))
    assert names(team_a) == ["张甲"]
    sixth = client.get(list_url(month, date="2026-05-06"))
    assert sorted(names(sixth)) == ["张甲", "钱退"]
    half = client.get(list_url(month, date="2026-05-08", status="half_day"))
    assert names(half) == ["张甲"]


def test_the_list_defaults_to_today_in_the_projects_zone(month: Month) -> None:
    response = client_for(month.world.alice).get(list_url(month))
    assert response.context["work_date"] == monthly.local_today(month.world.p1)


def test_the_list_costs_the_same_queries_whatever_the_number_of_rows(month: Month) -> None:
    client = client_for(month.world.alice)
    with CaptureQueriesContext(connection) as few:
        assert len(names(client.get(list_url(month, date="2026-05-07")))) == 2
    for name in ("周一", "周二", "周三", "周四", "周五"):
        extra = employ(make_worker(name, registered_by_company=month.world.company_a), month.world.gc_p1)
        day(month, extra, may(7), ("08:00", "17:00"))
        daycalc.recompute_days(employment=extra, dates=[may(7)])
    with CaptureQueriesContext(connection) as many:
        assert len(names(client.get(list_url(month, date="2026-05-07")))) == 7
    assert len(many.captured_queries) == len(few.captured_queries)


def test_bob_sees_only_his_companys_people_and_charlie_gets_404(month: Month) -> None:
    bob = client_for(month.world.bob)
    assert names(bob.get(list_url(month, date="2026-05-07"))) == ["李乙"]
    # Naming the general contractor's team in the filter is "not found", not an unfiltered list.
    assert bob.get(list_url(month, team=str(month.world.team_a.public_id))).status_code == 404
    assert client_for(month.world.charlie).get(list_url(month, date="2026-05-07")).status_code == 404


def test_a_worker_sees_only_their_own_days(month: Month) -> None:
    response = client_for(month.world.wendy).get(list_url(month, date="2026-05-07"))
    assert response.status_code == 200
    assert names(response) == ["张甲"]


# --- one day ------------------------------------------------------------------------------------------------


def test_the_detail_explains_a_late_day_with_the_rule_values(month: Month) -> None:
    response = client_for(month.world.alice).get(detail_url(month.a, may(7)))

    assert response.status_code == 200
    html = response.content.decode()
    assert "迟到：首次进场 08:17，晚于上班时间 08:00 + 宽限 10 分钟" in html
    assert "工作日" in html
    assert "05-07 08:17:00" in html and "05-07 17:30:00" in html  # the interval
    assert "东门" in html and "ZKM1" in html  # the gate of each punch
    assert "进场" in html and "出场" in html
    assert "2026-05-07 08:17:00" in html  # the device's own wall-clock time
    assert "已计入" in html


def test_the_detail_shows_the_day_kind_from_the_holiday_calendar(month: Month) -> None:
    html = client_for(month.world.alice).get(detail_url(month.a, may(2))).content.decode()
    assert "法定节假日（劳动节）" in html
    assert "加班：法定节假日出勤，全部 8.00 小时计为法定节假日加班（300%）" in html


def test_the_detail_explains_half_day_early_leave_and_absence(month: Month) -> None:
    client = client_for(month.world.alice)
    html = client.get(detail_url(month.a, may(8))).content.decode()
    assert "早退：最后出场 13:30，早于下班时间 17:00 − 宽限 10 分钟" in html
    assert "半天：工时 4.50 小时，不足全天标准 8 小时，达到半天标准 4 小时" in html
    absent = client.get(detail_url(month.a, may(13))).content.decode()
    assert "缺勤：工时 2.00 小时，不足半天标准 4 小时" in absent
    missing = client.get(detail_url(month.a, may(12))).content.decode()
    assert "缺卡" in missing and "需补卡" in missing


def test_the_detail_marks_an_automatic_clock_out(month: Month) -> None:
    daycalc.set_attendance_rules(project=month.world.p1, auto_clock_out="shift_end")
    punch(month, month.a, may(20), "07:58", "01")
    daycalc.recompute_days(employment=month.a, dates=[may(20)])

    html = client_for(month.world.alice).get(detail_url(month.a, may(20))).content.decode()
    assert "自动出场：07:58 进场后没有出场打卡，按规则在下班时间 17:00 自动出场" in html
    assert '<span class="badge warn">自动出场</span>' in html
    assert "shift_end" in html  # the rules in force


def test_the_detail_shows_a_correction_punch_as_such(month: Month) -> None:
    punch(month, month.a, may(21), "07:50", "01")
    correction = punch(month, month.a, may(21), "17:10", "02")
    correction.source = "correction"
    correction.flags = ["correction"]
    correction.save(update_fields=["source", "flags"])
    daycalc.recompute_days(employment=month.a, dates=[may(21)])

    html = client_for(month.world.alice).get(detail_url(month.a, may(21))).content.decode()
    assert "补卡" in html
    assert '<span class="badge warn">correction</span>' in html


def test_the_detail_is_scoped(month: Month) -> None:
    w = month.world
    assert client_for(w.charlie).get(detail_url(month.a, may(7))).status_code == 404
    assert client_for(w.bob).get(detail_url(month.a, may(7))).status_code == 404
    assert client_for(w.bob).get(detail_url(month.b, may(7))).status_code == 200
    assert client_for(w.wendy).get(detail_url(month.a, may(7))).status_code == 200
    assert client_for(w.wendy).get(detail_url(month.b, may(7))).status_code == 404
    assert client_for(w.reggie).get(detail_url(month.a, may(7))).status_code == 200


def test_a_day_without_a_record_or_a_bad_date_is_404(month: Month) -> None:
    client = client_for(month.world.alice)
    assert client.get(detail_url(month.a, may(25))).status_code == 404
    bad = reverse("attendance:day_detail", args=[month.a.public_id, "2026-13-01"])
    assert client.get(bad).status_code == 404


# --- the entry page and links -------------------------------------------------------------------------------


def test_the_attendance_page_lists_the_projects_and_teams_in_scope(month: Month) -> None:
    w = month.world
    html = client_for(w.alice).get(reverse("attendance:index")).content.decode()
    assert reverse("attendance:day_list", args=[w.p1.public_id]) in html
    assert reverse("attendance:monthly", args=[w.team_a.public_id]) in html
    bob = client_for(w.bob).get(reverse("attendance:index")).content.decode()
    assert reverse("attendance:monthly", args=[w.team_b.public_id]) in bob
    assert reverse("attendance:monthly", args=[w.team_a.public_id]) not in bob
    charlie = client_for(w.charlie).get(reverse("attendance:index")).content.decode()
    assert reverse("attendance:day_list", args=[w.p1.public_id]) not in charlie
    assert reverse("attendance:index") in charlie  # the nav link


def test_project_and_team_pages_link_to_the_attendance_pages(month: Month) -> None:
    w = month.world
    client = client_for(w.alice)
    project = client.get(reverse("orgs:project_detail", args=[w.p1.public_id])).content.decode()
    assert reverse("attendance:day_list", args=[w.p1.public_id]) in project
    team = client.get(reverse("orgs:team_detail", args=[w.team_a.public_id])).content.decode()
    assert reverse("attendance:monthly", args=[w.team_a.public_id]) in team


def test_the_pages_need_a_login(month: Month) -> None:
    assert Client().get(list_url(month)).status_code == 302
    assert Client().get(detail_url(month.a, may(7))).status_code == 302
