"""ZKTeco PUSH parsing and formatting, replaying the sample payloads in ``samples/`` (copies of
shared/protocols/samples, SOURCE headers kept) and the ATTLOG layout of devices.md §1.3."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from realname.attendance.protocols import METHODS, ProtocolError
from realname.attendance.protocols.zkteco import (
    DEFAULT_OPTIONS,
    DEFAULT_VERIFY_METHODS,
    STATUS_DIRECTION,
    DeviceCommand,
    format_command,
    handshake_response,
    ok_response,
    parse_attlog,
    parse_command,
    parse_commands,
    parse_devicecmd,
    parse_operlog,
    parse_query,
    parse_userinfo,
)

SAMPLES = Path(__file__).parent / "samples"


def sample_blocks(name: str) -> list[tuple[str, str]]:
    """(comment header, payload) for each run of '#' lines and the lines after it; line ends kept
    exactly as in the file (some samples are CRLF), trailing blank lines dropped."""
    blocks: list[tuple[list[str], list[str]]] = []
    for line in (SAMPLES / name).read_bytes().decode("utf-8").splitlines(keepends=True):
        if line.startswith("#"):
            if not blocks or blocks[-1][1]:
                blocks.append(([], []))
            blocks[-1][0].append(line)
        elif blocks:
            blocks[-1][1].append(line)
    result = []
    for header, payload in blocks:
        while payload and not payload[-1].strip():
            payload.pop()
        result.append(("".join(header), "".join(payload)))
    return result


def block_with(name: str, marker: str) -> str:
    matches = [payload for header, payload in sample_blocks(name) if marker in header]
    assert len(matches) == 1, f"{marker!r} names {len(matches)} blocks in {name}"
    return matches[0]


def substitute(template: str, values: dict[str, str]) -> str:
    """Fill a ``${Name}`` template of the protocol summary; its ``\\t`` is written as backslash-t."""
    text = template.replace("\\t", "\t")
    return re.sub(r"\$\{(\w+)\}", lambda m: values[m.group(1)], text)


# --- ATTLOG ---------------------------------------------------------------------------------------------

# The example line of devices.md §1.3 (the zkteco_attlog_post.txt sample it names is not in shared/).
DOC_LINE = b"501\t2026-09-29 18:05:10\t0\t1\t0\t0"


def test_it_reads_the_documented_attlog_line() -> None:
    batch = parse_attlog(DOC_LINE + b"\n")
    assert batch.errors == [] and batch.notes == []
    (event,) = batch.items
    assert event.device_event_key == "501|2026-09-29 18:05:10|0"
    assert event.person_ref == "501" and event.person_ref_kind == "pin"
    assert event.local_time == dt.datetime(2026, 9, 29, 18, 5, 10)  # noqa: DTZ001 - the device's wall clock
    assert event.aware_time is None
    assert event.direction == "01"  # Status 0, check-in
    assert event.method == "003"  # Verify 1, fingerprint
    assert event.raw == {
        "PIN": "501",
        "Time": "2026-09-29 18:05:10",
        "Status": "0",
        "Verify": "1",
        "WorkCode": "0",
        "Reserved1": "0",
    }
    assert event.picture is None and event.replayed is False


def test_it_reads_4_field_and_10_field_lines_alike() -> None:
    body = b"7\t2026-03-01 07:58:00\t1\t15\n0042\t2026-03-01 08:01:02\t0\t2\t0\t0\t0\t1\t36.5\tx\n"
    batch = parse_attlog(body)
    assert batch.errors == []
    short, long = batch.items
    assert (short.person_ref, short.direction, short.method) == ("7", "02", "001")
    assert short.raw == {"PIN": "7", "Time": "2026-03-01 07:58:00", "Status": "1", "Verify": "15"}
    assert (long.person_ref, long.direction, long.method) == ("0042", "01", "006")  # leading zeros kept
    assert long.raw["MaskFlag"] == "1" and long.raw["Temperature"] == "36.5" and long.raw["Field9"] == "x"
    assert long.device_event_key == "0042|2026-03-01 08:01:02|0"


def test_crlf_and_blank_lines_change_nothing() -> None:
    lf = b"1\t2026-03-01 07:00:00\t0\t1\n2\t2026-03-01 07:00:05\t0\t15\n"
    crlf = b"\r\n" + lf.replace(b"\n", b"\r\n") + b"\r\n\r\n  \r\n"
    assert parse_attlog(crlf).items == parse_attlog(lf).items
    assert len(parse_attlog(crlf).items) == 2 and parse_attlog(crlf).errors == []


def test_a_malformed_line_is_reported_with_its_number_and_the_others_count() -> None:
    body = (
        b"1\t2026-03-01 07:00:00\t0\t1\n"
        b"ATTLOG\t2\t2026-03-01 07:00:01\t0\t1\n"  # the framing of a test script, not of real devices
        b"3\t2026-02-30 07:00:00\t0\t1\n"  # no such day
        b"4\n"
        b"\xff\xfe\t2026-03-01 07:00:00\t0\n"  # neither UTF-8 nor GBK
        b"5\t2026-03-01 07:00:09\t1\t1\n"
    )
    batch = parse_attlog(body)
    assert [event.person_ref for event in batch.items] == ["1", "5"]
    assert [error.line_no for error in batch.errors] == [2, 3, 4, 5]
    assert "YYYY-MM-DD" in batch.errors[0].reason
    assert batch.errors[1].text == "3\t2026-02-30 07:00:00\t0\t1"


def test_duplicate_lines_give_identical_keys_for_the_database_to_absorb() -> None:
    batch = parse_attlog(DOC_LINE + b"\n" + DOC_LINE + b"\r\n" + DOC_LINE.replace(b"\t1\t", b"\t15\t"))
    keys = {event.device_event_key for event in batch.items}
    assert len(batch.items) == 3 and keys == {"501|2026-09-29 18:05:10|0"}


def test_the_key_tells_check_in_from_check_out_in_the_same_second() -> None:
    batch = parse_attlog(b"9\t2026-03-01 18:00:00\t0\t1\n9\t2026-03-01 18:00:00\t1\t1\n")
    assert len({event.device_event_key for event in batch.items}) == 2


@pytest.mark.parametrize(
    ("status", "direction"),
    [("0", "01"), ("1", "02"), ("2", "02"), ("3", "01"), ("4", "01"), ("5", "02"), ("255", ""), ("x", "")],
)
def test_status_maps_to_the_national_direction(status: str, direction: str) -> None:
    (event,) = parse_attlog(f"1\t2026-03-01 07:00:00\t{status}\t1".encode()).items
    assert event.direction == direction


def test_missing_status_and_verify_mean_unknown_direction_and_other_method() -> None:
    (event,) = parse_attlog(b"1\t2026-03-01 07:00:00").items
    assert (event.direction, event.method, event.device_event_key) == ("", "011", "1|2026-03-01 07:00:00|")


def test_a_device_model_with_another_verify_table_passes_its_own() -> None:
    line = b"1\t2026-03-01 07:00:00\t0\t3"
    assert parse_attlog(line).items[0].method == "011"  # 3 is password in the default table
    assert parse_attlog(line, verify_methods={3: "001"}).items[0].method == "001"  # face, per the CN summary
    with pytest.raises(ValueError, match="non-national"):
        parse_attlog(line, verify_methods={3: "face"})


def test_a_utf8_bom_is_not_part_of_the_pin() -> None:
    (event,) = parse_attlog(b"\xef\xbb\xbf" + DOC_LINE).items
    assert event.person_ref == "501"


pins = st.text(alphabet="0123456789ABCDEFGHJK", min_size=1, max_size=9)
EARLIEST = dt.datetime(2000, 1, 1)  # noqa: DTZ001 - ATTLOG times are the device's naive wall clock
LATEST = dt.datetime(2099, 12, 31)  # noqa: DTZ001 - likewise
times = st.datetimes(min_value=EARLIEST, max_value=LATEST).map(lambda value: value.replace(microsecond=0))
codes = st.integers(min_value=0, max_value=255)


@given(
    lines=st.lists(
        st.tuples(pins, times, codes, codes, st.lists(st.sampled_from(["0", "1", "36.6", ""]), max_size=6)),
        min_size=1,
        max_size=20,
    ),
    line_end=st.sampled_from(["\n", "\r\n"]),
)
def test_random_attlog_lines_round_trip(
    lines: list[tuple[str, dt.datetime, int, int, list[str]]], line_end: str
) -> None:
    body = line_end.join(
        "\t".join([pin, when.strftime("%Y-%m-%d %H:%M:%S"), str(status), str(verify), *extra])
        for pin, when, status, verify, extra in lines
    ).encode()
    batch = parse_attlog(body)
    assert batch.errors == []
    assert len(batch.items) == len(lines)
    for event, (pin, when, status, verify, _) in zip(batch.items, lines, strict=True):
        assert (event.person_ref, event.local_time) == (pin, when)
        assert event.direction == STATUS_DIRECTION.get(status, "")
        assert event.method == DEFAULT_VERIFY_METHODS.get(verify, "011")
        assert event.method in METHODS
        assert event.device_event_key == f"{pin}|{when:%Y-%m-%d %H:%M:%S}|{status}"


# --- OPERLOG / USERINFO ---------------------------------------------------------------------------------


def test_operlog_lines_are_kept_as_tagged_dicts_with_gbk_names() -> None:
    body = (
        "OPLOG 4\t0\t2026-03-01 09:00:00\t1001\t0\t0\t0\r\n"
        "USER PIN=1001\tName=张三\tPri=0\tPasswd=\tCard=12345678\tGrp=1\tTZ=0000000100000000\tVerify=0\r\n"
        "FP PIN=1001\tFID=6\tSize=8\tValid=1\tTMP=QUJDRA==\r\n"
        "\r\n"
    ).encode("gbk")
    batch = parse_operlog(body)
    assert batch.errors == []
    oplog, user, fp = batch.items
    assert oplog.tag == "OPLOG" and oplog.fields == {
        "OpType": "4",
        "OpWho": "0",
        "OpTime": "2026-03-01 09:00:00",
        "Obj1": "1001",
        "Obj2": "0",
        "Obj3": "0",
        "Obj4": "0",
    }
    assert user.tag == "USER" and user.fields["Name"] == "张三" and user.fields["Passwd"] == ""
    assert user.fields["Card"] == "12345678" and user.line_no == 2
    assert fp.tag == "FP" and fp.fields["TMP"] == "QUJDRA=="  # base64 padding survives


def test_one_body_may_mix_utf8_and_gbk_lines() -> None:
    body = "USER PIN=1\tName=李四".encode() + b"\n" + "USER PIN=2\tName=王五".encode("gbk")
    assert [record.fields["Name"] for record in parse_operlog(body).items] == ["李四", "王五"]


def test_the_other_tables_sample_templates_parse() -> None:
    payload = block_with("zkteco_other_tables.txt", "other upload tables")
    lines = payload.splitlines()
    operlog_template = lines[1].split("      ")[0]  # the line continues with a spaced-out comment
    userinfo_template = lines[4]
    values = {
        "OpType": "6",
        "OpWho": "0",
        "OpTime": "2026-03-02 10:00:00",
        "OpObj1": "1002",
        "OpObj2": "0",
        "OpObj3": "0",
        "OpObj4": "0",
        "Pin": "1002",
        "Name": "赵六",
        "Pri": "0",
        "Passwd": "",
        "CardNo": "87654321",
        "Grp": "1",
    }
    (oplog,) = parse_operlog(substitute(operlog_template, values).encode("gbk")).items
    assert oplog.tag == "OPLOG" and oplog.fields["OpType"] == "6" and oplog.fields["Obj1"] == "1002"
    (user,) = parse_userinfo(substitute(userinfo_template, values).encode("gbk")).items
    assert user.tag == "USER"
    assert user.fields == {
        "PIN": "1002",
        "Name": "赵六",
        "Pri": "0",
        "Passwd": "",
        "Card": "87654321",
        "Grp": "1",
    }


def test_a_userinfo_segment_without_equals_is_a_line_error() -> None:
    batch = parse_userinfo(b"PIN=1\tName=A\nPIN=2\tjunk\n")
    assert [record.fields["PIN"] for record in batch.items] == ["1"]
    assert batch.errors[0].line_no == 2


# --- request queries ------------------------------------------------------------------------------------


def test_the_handshake_request_of_the_sample_is_read() -> None:
    header = sample_blocks("zkteco_handshake_and_heartbeat.txt")[0][0]
    target = re.search(r"REQUEST: GET (\S+)", header)
    assert target is not None
    query = parse_query(target.group(1))
    assert (query.sn, query.options_all, query.pushver, query.language) == ("XXX", True, "2.2.2", "69")
    assert query.table is None


def test_the_real_mb160_heartbeat_is_read() -> None:
    line = block_with("zkteco_handshake_and_heartbeat.txt", "MB160")
    assert parse_query(line.split()[1]).sn == "SPK7240100098"


def test_upload_and_heartbeat_queries_are_read_from_any_form() -> None:
    upload = parse_query(b"SN=DEMOZK0001&table=ATTLOG&Stamp=9999")
    assert (upload.sn, upload.table, upload.stamp) == ("DEMOZK0001", "ATTLOG", "9999")
    assert upload.options_all is False
    heartbeat = parse_query({"sn": "DEMOZK0001", "INFO": "Ver 6.60,12,3,1500,192.168.1.201,10,7,15,12,0"})
    assert heartbeat.sn == "DEMOZK0001" and heartbeat.info[1] == "12" and len(heartbeat.info) == 10
    assert parse_query("?SN=A&OpStamp=12&PIN=7").op_stamp == "12"


def test_a_request_without_sn_is_refused_for_good() -> None:
    with pytest.raises(ProtocolError) as caught:
        parse_query("table=ATTLOG&Stamp=1")
    assert caught.value.retryable is False
    assert "SN" in caught.value.message_zh and "SN" in caught.value.message_en


# --- handshake reply and acknowledgements ---------------------------------------------------------------


def options_of(payload: str) -> tuple[str, dict[str, str], str]:
    lines = payload.splitlines()
    line_end = "\r\n" if "\r\n" in payload else "\n"
    sn = lines[0].removeprefix("GET OPTION FROM: ")
    options = {key: value for key, _, value in (line.partition("=") for line in lines[1:])}
    return sn, options, line_end


@pytest.mark.parametrize("marker", ["ZKTecoADMS", "classic option block", "Vietnamese deployment"])
def test_the_handshake_reply_reproduces_each_sample(marker: str) -> None:
    payload = block_with("zkteco_handshake_and_heartbeat.txt", marker)
    sn, options, line_end = options_of(payload)
    reply = handshake_response(sn=sn, options=options, line_end=line_end)
    # The ZKTecoADMS reply ends its last line without the CRLF of the others; ours always ends the line.
    assert reply == payload.rstrip("\r\n") + line_end


def test_the_default_handshake_is_the_classic_block_with_newer_keys() -> None:
    reply = handshake_response(sn="DEMOZK0001", options={**DEFAULT_OPTIONS, "ATTLOGStamp": 1234})
    assert reply.startswith("GET OPTION FROM: DEMOZK0001\nATTLOGStamp=1234\nOPERLOGStamp=9999\n")
    assert "\nEncrypt=None\n" in reply and "\nServerVer=2.4.1\n" in reply and "\nTimeZone=8\n" in reply
    assert "TransFlag=TransData AttLog\tOpLog\t" in reply
    classic = block_with("zkteco_handshake_and_heartbeat.txt", "classic option block")
    typed = {
        "ATTLOGStamp": None,
        "OPERLOGStamp": 9999,
        "ATTPHOTOStamp": None,
        "ErrorDelay": 30,
        "Delay": 10,
        "TransTimes": "00:00;14:05",
        "TransInterval": 1,
        "TransFlag": "TransData AttLog\tOpLog\tEnrollUser\tChgUser\tEnrollFP\tChgFP",
        "Realtime": 1,
        "Encrypt": None,
    }
    assert handshake_response(sn="<SN>", options=typed) == classic


def test_a_line_break_cannot_be_smuggled_into_the_options() -> None:
    with pytest.raises(ValueError, match="line break"):
        handshake_response(sn="A\nB")


def test_uploads_are_acknowledged_with_the_count() -> None:
    assert ok_response(3) == "OK: 3"
    assert ok_response(1) == "OK: 1"
    assert ok_response() == "OK"


# --- commands and their results -------------------------------------------------------------------------


def test_the_sample_getrequest_commands_are_read() -> None:
    payload = block_with("zkteco_getrequest_devicecmd.txt", "commands.js")
    assert parse_commands(payload) == [
        DeviceCommand(
            1, "DATA UPDATE USERINFO", {"PIN": "123", "Name": "Alice", "Privilege": "0", "Card": "123"}
        ),
        DeviceCommand(5, "DATA QUERY USERINFO", {"PIN": "1"}),
        DeviceCommand(5, "CONTROL DEVICE 03000000", {}),
        DeviceCommand(4, "DATA QUERY USERINFO", {}),
        DeviceCommand(5, "DATA DELETE ATTLOG", {}),
        DeviceCommand(
            5, "DATA QUERY ATTLOG", {"StartTime": "2025-01-01 00:00:00", "EndTime": "2025-01-02 23:59:59"}
        ),
        DeviceCommand(5, "DATA DELETE USERINFO", {"PIN": "6"}),
    ]
    assert parse_commands("OK") == []


def test_commands_are_written_like_the_sample_lines() -> None:
    payload = block_with("zkteco_getrequest_devicecmd.txt", "commands.js").splitlines()
    assert format_command(5, "delete_user", pin="6") == payload[6]
    assert format_command(5, "query_user", pin="1") == payload[1]
    assert parse_command(
        format_command(5, "query_attlog", start_time="2025-01-01 00:00:00", end_time="2025-01-02 23:59:59")
    ) == parse_command(payload[5])


def test_commands_fill_the_protocol_summary_templates_exactly() -> None:
    templates = block_with("zkteco_getrequest_devicecmd.txt", "templates").splitlines()
    values = {
        "CmdID": "101",
        "Pin": "1001",
        "Name": "张三",
        "Pri": "0",
        "Passwd": "",
        "CardNo": "12345678",
        "Grp": "1",
        "TZ": "0000000100000000",
        "Verify": "0",
        "Type": "9",
        "Size": "4",
        "Content": "QUJD",
        "URL": "",
    }
    assert format_command(101, "add_user", pin="1001", name="张三", card="12345678") == substitute(
        templates[0], values
    )
    assert format_command(101, "set_face_photo", pin="1001", size=4, content="QUJD") == substitute(
        templates[1], values
    )
    assert format_command(101, "delete_user", pin="1001") == substitute(templates[3], values)


def test_the_full_field_set_sample_has_every_field_we_write() -> None:
    line = block_with("zkteco_getrequest_devicecmd.txt", "full USERINFO field set")
    sample = parse_command(line.replace("<cmdId>", "7").replace("<pin>", "42").replace("<name>", "Wang"))
    ours = parse_command(format_command(7, "add_user", pin="42", name="Wang"))
    assert (ours.command_id, ours.action) == (sample.command_id, sample.action)
    assert ours.fields.items() <= sample.fields.items()  # the sample adds ViceCard=


def test_bad_command_input_is_refused() -> None:
    with pytest.raises(ValueError, match="needs pin"):
        format_command(1, "delete_user")
    with pytest.raises(ValueError, match="no field"):
        format_command(1, "delete_user", pin="1", name="x")
    with pytest.raises(ValueError, match="tab or line break"):
        format_command(1, "add_user", pin="1", name="a\tb")
    with pytest.raises(ValueError, match="bad PIN"):
        format_command(1, "add_user", pin="1 2")
    with pytest.raises(ValueError, match="positive"):
        format_command(0, "reboot")
    assert format_command(3, "reboot") == "C:3:REBOOT"


def test_a_long_name_is_cut_to_what_the_device_shows() -> None:
    command = parse_command(format_command(1, "add_user", pin="1", name="名" * 30))
    assert command.fields["Name"] == "名" * 24


@given(
    command_id=st.integers(min_value=1, max_value=2**31),
    pin=pins,
    name=st.text(st.characters(blacklist_characters="\t\r\n"), max_size=30),
    card=st.text(alphabet="0123456789", max_size=10),
)
def test_add_user_round_trips(command_id: int, pin: str, name: str, card: str) -> None:
    body = format_command(command_id, "add_user", pin=pin, name=name, card=card) + "\n"
    (command,) = parse_commands(body)
    assert command.command_id == command_id and command.action == "DATA UPDATE USERINFO"
    assert command.fields == {
        "PIN": pin,
        "Name": name[:24],
        "Pri": "0",
        "Passwd": "",
        "Card": card,
        "Grp": "1",
        "TZ": "0000000100000000",
        "Verify": "0",
    }


def test_the_sample_devicecmd_result_is_read() -> None:
    line = block_with("zkteco_getrequest_devicecmd.txt", "POST /iclock/devicecmd").splitlines()[0]
    (result,) = parse_devicecmd(line.encode()).items
    assert (result.command_id, result.return_code, result.cmd, result.succeeded) == (1, 0, "DATA", True)


def test_several_results_and_failures_in_one_devicecmd_body() -> None:
    batch = parse_devicecmd(b"ID=101&Return=0&CMD=DATA\r\nID=102&Return=-5&CMD=DATA\r\nReturn=0\r\n\r\n")
    assert [(r.command_id, r.succeeded) for r in batch.items] == [(101, True), (102, False)]
    assert [error.line_no for error in batch.errors] == [3]
