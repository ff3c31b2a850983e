"""The Hikvision person requests against the shapes of devices.md §2.3, and reading the device's answer."""

from __future__ import annotations

import datetime as dt
import json
from zoneinfo import ZoneInfo

import pytest

from realname.attendance.protocols import hikvision_persons as hp

SHANGHAI = ZoneInfo("Asia/Shanghai")
URUMQI = ZoneInfo("Asia/Urumqi")

# devices.md §2.3, verbatim.
DOC_ADD = json.loads(
    '{"UserInfo":{"employeeNo":"W000123","name":"张三","userType":"normal","Valid":{"enable":true,'
    '"beginTime":"2024-01-01T00:00:00","endTime":"2030-12-31T23:59:59","timeType":"local"},'
    '"doorRight":"1","RightPlan":[{"doorNo":1,"planTemplateNo":"1"}]}}'
)
DOC_DELETE = json.loads(
    '{"UserInfoDetail":{"mode":"byEmployeeNo","EmployeeNoList":[{"employeeNo":"W000123"}]}}'
)


def test_the_add_request_has_the_documented_shape() -> None:
    request = hp.add_person(
        employee_no="W000123",
        name="张三",
        begin=dt.datetime(2024, 1, 1, tzinfo=SHANGHAI),
        end=dt.datetime(2030, 12, 31, 23, 59, 59, tzinfo=SHANGHAI),
        zone=SHANGHAI,
    )
    assert (request.method, request.path) == ("POST", "/ISAPI/AccessControl/UserInfo/Record?format=json")
    assert request.body == DOC_ADD
    assert request.text == "POST /ISAPI/AccessControl/UserInfo/Record?format=json"


def test_the_delete_request_has_the_documented_shape() -> None:
    request = hp.delete_person(employee_no=" W000123 ")
    assert (request.method, request.path) == ("PUT", "/ISAPI/AccessControl/UserInfoDetail/Delete?format=json")
    assert request.body == DOC_DELETE


def test_times_are_the_devices_wall_clock_in_its_zone() -> None:
    begin = dt.datetime(2026, 11, 25, 16, 0, tzinfo=dt.UTC)  # 00:00 in Shanghai, 22:00 in Urumqi
    end = dt.datetime(2027, 3, 1, 15, 59, 59, tzinfo=dt.UTC)
    shanghai = hp.add_person(employee_no="7", name="李四", begin=begin, end=end, zone=SHANGHAI)
    urumqi = hp.add_person(employee_no="7", name="李四", begin=begin, end=end, zone=URUMQI)
    assert shanghai.body["UserInfo"]["Valid"] == {
        "enable": True,
        "beginTime": "2026-11-26T00:00:00",
        "endTime": "2027-03-01T23:59:59",
        "timeType": "local",
    }
    assert urumqi.body["UserInfo"]["Valid"]["beginTime"] == "2026-11-25T22:00:00"
    assert urumqi.body["UserInfo"]["Valid"]["endTime"] == "2027-03-01T21:59:59"


def test_no_end_or_an_end_past_2037_is_written_as_the_devices_last_date() -> None:
    begin = dt.datetime(2026, 11, 26, tzinfo=SHANGHAI)
    for end in (None, dt.datetime(2090, 1, 1, tzinfo=SHANGHAI)):
        request = hp.add_person(employee_no="7", name="李四", begin=begin, end=end, zone=SHANGHAI)
        assert request.body["UserInfo"]["Valid"]["endTime"] == "2037-12-31T23:59:59"


def test_a_validity_that_ends_before_it_begins_is_refused() -> None:
    begin = dt.datetime(2026, 11, 26, tzinfo=SHANGHAI)
    with pytest.raises(ValueError, match="end after"):
        hp.add_person(employee_no="7", name="李四", begin=begin, end=begin, zone=SHANGHAI)


def test_naive_times_are_refused() -> None:
    with pytest.raises(ValueError, match="aware"):
        hp.local_time(dt.datetime(2026, 11, 26), SHANGHAI)  # noqa: DTZ001 — the refused case


@pytest.mark.parametrize("employee_no", ["", "  ", "12 34", "x" * 33])
def test_an_employee_number_the_device_cannot_hold_is_refused(employee_no: str) -> None:
    with pytest.raises(ValueError, match="employeeNo"):
        hp.delete_person(employee_no=employee_no)


def test_a_long_name_is_cut_to_what_the_device_holds_and_spaces_are_collapsed() -> None:
    begin = dt.datetime(2026, 11, 26, tzinfo=SHANGHAI)
    request = hp.add_person(
        employee_no="7", name="  阿卜杜  " + "长" * 40, begin=begin, end=None, zone=SHANGHAI
    )
    name = request.body["UserInfo"]["name"]
    assert name.startswith("阿卜杜 长") and len(name) == hp.NAME_MAX_LENGTH


@pytest.mark.parametrize(
    ("http_status", "status_code", "succeeded", "return_code"),
    [
        (200, 1, True, 1),
        (200, None, True, 200),
        (200, 4, False, 4),  # "Invalid Operation" inside a 200
        (400, 6, False, 6),
        (401, None, False, 401),
        (500, None, False, 500),
    ],
)
def test_a_result_is_success_only_for_2xx_with_status_code_1_or_none(
    http_status: int, status_code: int | None, succeeded: bool, return_code: int
) -> None:
    result = hp.read_result(
        http_status=http_status, status_code=status_code, status_string="Invalid Content", sub_status_code="x"
    )
    assert (result.succeeded, result.return_code) == (succeeded, return_code)
    assert result.text.startswith(f"HTTP {http_status} Invalid Content x")


def test_the_result_text_is_bounded() -> None:
    result = hp.read_result(http_status=400, status_code=6, error_msg="e" * 5000)
    assert len(result.text) == 1000


def test_a_suspension_keeps_the_person_with_a_validity_that_has_ended() -> None:
    from realname.attendance.protocols import hikvision_persons

    zone = ZoneInfo("Asia/Shanghai")
    request = hikvision_persons.suspend_person(
        employee_no="17", name="张 三", ended=dt.datetime(2026, 11, 26, 1, 30, tzinfo=dt.UTC), zone=zone
    )
    assert (request.method, request.path) == ("PUT", "/ISAPI/AccessControl/UserInfo/Modify?format=json")
    valid = request.body["UserInfo"]["Valid"]
    assert valid == {
        "enable": True,
        "beginTime": "2000-01-01T00:00:00",
        "endTime": "2026-11-26T09:30:00",
        "timeType": "local",
    }
    assert request.body["UserInfo"]["employeeNo"] == "17" and request.body["UserInfo"]["name"] == "张 三"
    with pytest.raises(ValueError):
        hikvision_persons.suspend_person(
            employee_no="a b", name="x", ended=dt.datetime.now(dt.UTC), zone=zone
        )
