"""Hikvision ISAPI person list requests (server → device, devices.md §2.3): add or update a person with a
validity period, delete a person by employee number, and read the device's answer.

Pure functions: the requests are built here, queued as :class:`~realname.attendance.models.DeviceCommand`
rows and carried out by the edge agent (or a direct ISAPI client) with digest authentication.

- Add: ``POST /ISAPI/AccessControl/UserInfo/Record?format=json`` with ``{"UserInfo": {...}}``. Record adds;
  the edge agent falls back to ``PUT …/UserInfo/Modify`` when the device answers that the person exists
  (:data:`MODIFY_PATH`, same body).
- Suspend: ``PUT …/UserInfo/Modify`` with a validity that has already ended: the terminal refuses the
  person but keeps them, with their enrolled face and cards, for when they are allowed again.
- Delete: ``PUT /ISAPI/AccessControl/UserInfoDetail/Delete?format=json`` with
  ``{"UserInfoDetail": {"mode": "byEmployeeNo", "EmployeeNoList": [{"employeeNo": …}]}}``.
- Times are the device's wall-clock time (``timeType`` ``local``, no offset), in the device's zone.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

RECORD_PATH = "/ISAPI/AccessControl/UserInfo/Record?format=json"
MODIFY_PATH = "/ISAPI/AccessControl/UserInfo/Modify?format=json"
DELETE_PATH = "/ISAPI/AccessControl/UserInfoDetail/Delete?format=json"

EMPLOYEE_NO_MAX_LENGTH = 32
NAME_MAX_LENGTH = 32
# The terminals keep times in 32-bit seconds: 2037 is the furthest end date they accept ("no end").
FAR_END = dt.datetime(2037, 12, 31, 23, 59, 59)  # noqa: DTZ001 — a device wall-clock time, no zone
TIME_FORMAT = "%Y-%m-%dT%H:%M:%S"
STATUS_OK = 1  # ISAPI statusCode of success


@dataclass(frozen=True)
class IsapiRequest:
    """One ISAPI call for the edge agent: method, path with its query, JSON body."""

    method: str
    path: str
    body: dict[str, Any]

    @property
    def text(self) -> str:
        return f"{self.method} {self.path}"


def _employee_no(value: str) -> str:
    text = str(value).strip()
    if not text or len(text) > EMPLOYEE_NO_MAX_LENGTH or any(ch.isspace() for ch in text):
        raise ValueError(f"bad employeeNo {value!r}: 1-{EMPLOYEE_NO_MAX_LENGTH} characters, no spaces")
    return text


def local_time(moment: dt.datetime, zone: ZoneInfo) -> str:
    """``moment`` (aware) as the device's wall-clock time, e.g. ``2026-11-26T00:00:00``."""
    if moment.tzinfo is None:
        raise ValueError("an aware datetime is needed")
    return moment.astimezone(zone).strftime(TIME_FORMAT)


def add_person(
    *,
    employee_no: str,
    name: str,
    begin: dt.datetime,
    end: dt.datetime | None,
    zone: ZoneInfo,
    door_no: int = 1,
) -> IsapiRequest:
    """Add (or, through Modify, update) a person valid from ``begin`` to ``end`` (None: no end of its own,
    written as :data:`FAR_END`); both aware, written in ``zone``. An end past 2037 is written as 2037."""
    begin_text = local_time(begin, zone)
    end_text = FAR_END.strftime(TIME_FORMAT)
    if end is not None:
        end_text = min(local_time(end, zone), end_text)  # same fixed-width format: text order is time order
    if end_text <= begin_text:
        raise ValueError("the validity must end after it begins")
    clean_name = " ".join(str(name).split())[:NAME_MAX_LENGTH]
    return IsapiRequest(
        method="POST",
        path=RECORD_PATH,
        body={
            "UserInfo": {
                "employeeNo": _employee_no(employee_no),
                "name": clean_name,
                "userType": "normal",
                "Valid": {
                    "enable": True,
                    "beginTime": begin_text,
                    "endTime": end_text,
                    "timeType": "local",
                },
                "doorRight": str(door_no),
                "RightPlan": [{"doorNo": door_no, "planTemplateNo": "1"}],
            }
        },
    )


# The start of a suspended person's validity: any time well before every real one.
SUSPENDED_FROM = dt.datetime(2000, 1, 1)  # noqa: DTZ001 — a device wall-clock time, no zone


def suspend_person(
    *, employee_no: str, name: str, ended: dt.datetime, zone: ZoneInfo, door_no: int = 1
) -> IsapiRequest:
    """Refuse a person without deleting them: their validity is set to have ended at ``ended`` (aware, the
    moment of the refusal), so the face and cards enrolled on the terminal stay for when they are allowed
    again (an add then sets a validity that includes today)."""
    end_text = local_time(ended, zone)
    begin_text = SUSPENDED_FROM.strftime(TIME_FORMAT)
    if end_text <= begin_text:
        raise ValueError("a suspension ends after 2000-01-01")
    return IsapiRequest(
        method="PUT",
        path=MODIFY_PATH,
        body={
            "UserInfo": {
                "employeeNo": _employee_no(employee_no),
                "name": " ".join(str(name).split())[:NAME_MAX_LENGTH],
                "userType": "normal",
                "Valid": {"enable": True, "beginTime": begin_text, "endTime": end_text, "timeType": "local"},
                "doorRight": str(door_no),
                "RightPlan": [{"doorNo": door_no, "planTemplateNo": "1"}],
            }
        },
    )


def delete_person(*, employee_no: str) -> IsapiRequest:
    """Take a person (and their cards and faces) off the device."""
    return IsapiRequest(
        method="PUT",
        path=DELETE_PATH,
        body={
            "UserInfoDetail": {
                "mode": "byEmployeeNo",
                "EmployeeNoList": [{"employeeNo": _employee_no(employee_no)}],
            }
        },
    )


@dataclass(frozen=True)
class IsapiResult:
    """What the device answered to one request, as the edge agent reports it."""

    succeeded: bool
    return_code: int  # the ISAPI statusCode when the device gave one, else the HTTP status
    text: str


def read_result(
    *,
    http_status: int,
    status_code: int | None = None,
    status_string: str = "",
    sub_status_code: str = "",
    error_msg: str = "",
) -> IsapiResult:
    """A 2xx answer whose ``statusCode`` is 1 (or absent) is success; anything else failed. A delete of a
    person the device does not hold is reported by the device as an error and is kept as one (the page
    shows its subStatusCode), since only the operator can tell whether the list is out of step."""
    succeeded = 200 <= http_status < 300 and status_code in (None, STATUS_OK)
    parts = [f"HTTP {http_status}", status_string, sub_status_code, error_msg]
    return IsapiResult(
        succeeded=succeeded,
        return_code=status_code if status_code is not None else http_status,
        text=" ".join(part.strip() for part in parts if part and part.strip())[:1000],
    )
