"""The worker services: one record per person, wage cards, 进场/退场, overlap flags, contract pay terms."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from stdnum import luhn
from stdnum.cn import ric

from realname.testing import World, employ, make_worker, new_id_number
from realname.workers import selectors, services
from realname.workers.models import BankAccount, Contract, Employment, EmploymentStatus, Worker

pytestmark = pytest.mark.django_db


def id_with_area(area: str, birth: str = "19850615", seq: str = "123") -> str:
    body = area + birth + seq
    return body + ric.calc_check_digit(body + "0")


def luhn_card(prefix: str = "622202") -> str:
    body = prefix + "012345678901"
    return body + luhn.calc_check_digit(body)


# --- registration ------------------------------------------------------------------------------------------


def test_registering_the_same_id_twice_keeps_one_record_for_the_person(world: World) -> None:
    number = new_id_number()
    first = services.register_worker(name="赵一", id_number=number)
    again = services.register_worker(name="赵一", id_number=f" {number.lower()} ", phone="13812345678")
    assert first.created and not again.created
    assert again.worker.pk == first.worker.pk
    assert Worker.objects.filter(name="赵一").count() == 1
    again.worker.refresh_from_db()
    assert again.worker.phone == "13812345678"


def test_blank_values_never_erase_what_the_registry_knows(world: World) -> None:
    number = new_id_number()
    services.register_worker(name="钱二", id_number=number, phone="13912345678", address="河南省")
    services.register_worker(name="钱二", id_number=number, phone="", address="")
    worker = Worker.objects.get(name="钱二")
    assert (worker.phone, worker.address) == ("13912345678", "河南省")


def test_it_derives_birth_date_and_sex_from_the_resident_id(world: World) -> None:
    woman = services.register_worker(name="孙三", id_number=id_with_area("110105", seq="124")).worker
    assert woman.birth_date == dt.date(1985, 6, 15)
    assert woman.sex == "F"
    assert woman.id_number_masked.startswith("110105") and "*" in woman.id_number_masked


def test_it_rejects_a_bad_checksum_in_chinese_on_the_id_number(world: World) -> None:
    good = new_id_number()
    bad = good[:-1] + ("0" if good[-1] != "0" else "1")
    with pytest.raises(ValidationError) as caught:
        services.register_worker(name="李四", id_number=bad)
    assert "校验位" in caught.value.message_dict["id_number"][0]


def test_an_area_code_unknown_for_the_birth_year_is_a_warning_not_a_rejection(world: World) -> None:
    result = services.register_worker(name="周五", id_number=id_with_area("999999"))
    assert result.created
    assert any("地区码" in w for w in result.warnings)
    assert result.worker.id_warnings == result.warnings


def test_a_passport_is_accepted_after_its_format_check(world: World) -> None:
    result = services.register_worker(name="Anna Smith", id_type="08", id_number="e 1234 5678")
    assert result.worker.id_type == "08"
    assert result.worker.id_number() == "E12345678"
    with pytest.raises(ValidationError) as caught:
        services.register_worker(name="Bad", id_type="08", id_number="E1")
    assert "护照" in caught.value.message_dict["id_number"][0]


def test_the_same_number_under_another_id_type_is_another_document(world: World) -> None:
    services.register_worker(name="甲", id_type="08", id_number="E12345678")
    services.register_worker(name="乙", id_type="13", id_number="E12345678")
    assert Worker.objects.filter(name__in=["甲", "乙"]).count() == 2


def test_the_id_number_is_never_edited(world: World) -> None:
    with pytest.raises(ValidationError):
        services.update_worker(worker=world.worker_a, id_number=new_id_number())


# --- bank cards --------------------------------------------------------------------------------------------


def test_a_new_card_becomes_current_and_the_old_one_is_kept(world: World) -> None:
    first, second = luhn_card("622202"), luhn_card("621700")
    services.set_bank_card(worker=world.worker_a, card_number=first, bank_name="工商银行")
    services.set_bank_card(worker=world.worker_a, card_number=second, bank_name="建设银行")
    cards = BankAccount.objects.filter(worker=world.worker_a)
    assert cards.count() == 2
    assert cards.get(is_current=True).card_number() == second
    services.set_bank_card(worker=world.worker_a, card_number=first, bank_name="工商银行")
    assert cards.count() == 2, "switching back reuses the earlier card's row"
    assert cards.get(is_current=True).card_number() == first


def test_a_card_failing_luhn_is_saved_with_a_warning(world: World) -> None:
    card = luhn_card()
    broken = card[:-1] + str((int(card[-1]) + 1) % 10)
    result = services.set_bank_card(worker=world.worker_a, card_number=broken, bank_name="农业银行")
    assert result.account.pk is not None
    assert any("Luhn" in w for w in result.warnings)


def test_a_card_number_with_letters_is_refused(world: World) -> None:
    with pytest.raises(ValidationError) as caught:
        services.set_bank_card(worker=world.worker_a, card_number="6222ABC", bank_name="农业银行")
    assert "bank_card" in caught.value.message_dict


# --- entry and exit ----------------------------------------------------------------------------------------


def test_entry_then_exit_closes_the_employment_and_keeps_it(world: World) -> None:
    worker = make_worker("吴六")
    employment = employ(worker, world.gc_p1, team=world.team_a, entry_date=dt.date(2026, 4, 1))
    assert employment.status == EmploymentStatus.ACTIVE
    services.register_exit(employment=employment, exit_date=dt.date(2026, 5, 1))
    employment.refresh_from_db()
    assert (employment.status, employment.exit_date) == (EmploymentStatus.EXITED, dt.date(2026, 5, 1))
    with pytest.raises(ValidationError):
        services.register_exit(employment=employment, exit_date=dt.date(2026, 5, 2))


def test_an_exit_before_the_entry_is_refused(world: World) -> None:
    employment = Employment.objects.get(worker=world.worker_a)
    with pytest.raises(ValidationError) as caught:
        services.register_exit(employment=employment, exit_date=employment.entry_date - dt.timedelta(days=1))
    assert "exit_date" in caught.value.message_dict


def test_a_team_of_another_participant_is_refused(world: World) -> None:
    worker = make_worker("郑七")
    with pytest.raises(ValidationError) as caught:
        employ(worker, world.gc_p1, team=world.team_b)
    assert "team" in caught.value.message_dict


def test_a_second_entry_on_the_same_project_updates_the_active_employment(world: World) -> None:
    again = services.register_entry(
        worker=world.worker_a,
        project=world.p1,
        participant=world.gc_p1,
        trade="020",
        entry_date=dt.date(2026, 3, 1),
    )
    assert not again.created
    assert Employment.objects.filter(worker=world.worker_a, project=world.p1).count() == 1


def test_overlapping_active_employments_on_different_projects_are_flagged(world: World) -> None:
    result = services.register_entry(
        worker=world.worker_a,
        project=world.p2,
        participant=world.gc_p2,
        trade="010",
        entry_date=dt.date(2026, 6, 1),
    )
    assert [e.project for e in result.overlaps] == [world.p1]
    flagged = selectors.with_overlap_flag(Worker.objects.filter(pk=world.worker_a.pk)).get()
    assert flagged.active_projects == 2
    rows = selectors.employments_with_overlap_flag(Employment.objects.filter(worker=world.worker_a))
    assert all(row.overlaps for row in rows)


def test_an_exited_employment_no_longer_overlaps(world: World) -> None:
    result = services.register_entry(
        worker=world.worker_a,
        project=world.p2,
        participant=world.gc_p2,
        trade="010",
        entry_date=dt.date(2026, 6, 1),
    )
    services.register_exit(employment=result.employment, exit_date=dt.date(2026, 6, 30))
    flagged = selectors.with_overlap_flag(Worker.objects.filter(pk=world.worker_a.pk)).get()
    assert flagged.active_projects == 1
    assert not any(row.overlaps for row in selectors.employments_with_overlap_flag(Employment.objects.all()))


# --- contracts ---------------------------------------------------------------------------------------------


def _employment(world: World) -> Employment:
    return Employment.objects.get(worker=world.worker_a)


def test_a_piece_rate_contract_needs_a_unit_and_a_unit_price(world: World) -> None:
    with pytest.raises(ValidationError) as caught:
        services.create_contract(
            employment=_employment(world), pay_type="piece", start_date=dt.date(2026, 3, 1), period_type="1"
        )
    errors = caught.value.message_dict
    assert "计量单位" in errors["piece_unit"][0]
    assert "单价" in errors["piece_unit_price"][0]


def test_a_daily_rate_must_be_positive(world: World) -> None:
    with pytest.raises(ValidationError) as caught:
        services.create_contract(
            employment=_employment(world),
            pay_type="daily",
            start_date=dt.date(2026, 3, 1),
            period_type="1",
            daily_rate=Decimal("0"),
        )
    assert "大于0" in caught.value.message_dict["daily_rate"][0]


def test_only_the_pay_fields_of_the_pay_type_are_kept(world: World) -> None:
    contract = services.create_contract(
        employment=_employment(world),
        pay_type="daily",
        start_date=dt.date(2026, 3, 1),
        end_date=dt.date(2026, 12, 31),
        daily_rate=Decimal("380.00"),
        monthly_salary=Decimal("9000"),
    )
    assert (contract.daily_rate, contract.monthly_salary) == (Decimal("380.00"), None)
    services.update_contract(
        contract=contract, pay_type="piece", piece_unit="81", piece_unit_price=Decimal("35")
    )
    contract.refresh_from_db()
    assert contract.daily_rate is None
    assert (contract.piece_unit, contract.piece_unit_price) == ("81", Decimal("35.00"))
    assert contract.project == world.p1


def test_a_fixed_term_contract_needs_an_end_date(world: World) -> None:
    with pytest.raises(ValidationError):
        services.create_contract(
            employment=_employment(world),
            pay_type="monthly",
            start_date=dt.date(2026, 3, 1),
            period_type="0",
            monthly_salary=Decimal("8000"),
        )
    assert Contract.objects.count() == 3  # only the three every test world has (realname.testing)


# --- search ------------------------------------------------------------------------------------------------


def test_search_finds_a_full_id_number_of_any_type_through_the_blind_index(world: World) -> None:
    passport = services.register_worker(
        name="Lee", id_type="08", id_number="G87654321", registered_by_company=world.company_a
    ).worker
    found = selectors.search_workers(world.admin, world.worker_a.id_number())
    assert list(found) == [world.worker_a]
    assert list(selectors.search_workers(world.admin, "g8765 4321")) == [passport]
    assert not selectors.search_workers(world.admin, world.worker_a.id_number()[:10]).exists()


def test_search_stays_within_scope(world: World) -> None:
    assert not selectors.search_workers(world.charlie, world.worker_a.id_number()).exists()
    assert list(selectors.search_workers(world.alice, "张甲")) == [world.worker_a]
