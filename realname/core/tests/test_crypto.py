from __future__ import annotations

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.test import override_settings
from hypothesis import given
from hypothesis import strategies as st

from config.keyfile import new_key_text
from realname.core import crypto


def test_it_round_trips_and_names_its_key() -> None:
    sealed = crypto.encrypt("11010519491231002X", context="c")
    assert sealed.startswith("v1:t1:")
    assert "11010519491231002X" not in sealed
    assert crypto.decrypt(sealed, context="c") == "11010519491231002X"


@given(st.text(max_size=60))
def test_any_text_round_trips(text: str) -> None:
    assert crypto.decrypt(crypto.encrypt(text, context="ctx"), context="ctx") == text


def test_the_same_value_encrypts_differently_each_time_but_indexes_the_same() -> None:
    assert crypto.encrypt("x", context="c") != crypto.encrypt("x", context="c")
    assert crypto.blind_index("x", context="c") == crypto.blind_index("x", context="c")
    assert crypto.blind_index("x", context="c") != crypto.blind_index("x", context="d")


def test_a_ciphertext_moved_to_another_column_does_not_open() -> None:
    sealed = crypto.encrypt("6222021234567890128", context="workers.BankAccount.card_number")
    with pytest.raises(crypto.DecryptionError):
        crypto.decrypt(sealed, context="workers.Worker.id_number")


def test_a_tampered_ciphertext_does_not_open() -> None:
    sealed = crypto.encrypt("secret", context="c")
    body = sealed.split(":", 2)[2]
    flipped = body[:-2] + ("A" if body[-2] != "A" else "B") + body[-1]
    with pytest.raises(crypto.DecryptionError):
        crypto.decrypt(f"v1:t1:{flipped}", context="c")


def test_rotation_keeps_old_ciphertexts_readable() -> None:
    old = crypto.encrypt("old value", context="c")
    new_key = new_key_text()
    from django.conf import settings

    with override_settings(REALNAME_DATA_KEYS=f"t2:{new_key},{settings.REALNAME_DATA_KEYS}"):
        fresh = crypto.encrypt("new value", context="c")
        assert crypto.key_id_of(fresh) == "t2"
        assert crypto.decrypt(old, context="c") == "old value"
    with pytest.raises(crypto.DecryptionError):
        crypto.decrypt(fresh, context="c")  # t2 is unknown again outside the override


@pytest.mark.parametrize(
    ("data", "index"),
    [
        ("", new_key_text()),
        ("k1:" + new_key_text(), ""),
        ("k1:c2hvcnQ", new_key_text()),
        ("no-colon", new_key_text()),
        ("k1:" + new_key_text() + ",k1:" + new_key_text(), new_key_text()),
    ],
)
def test_bad_key_settings_are_refused_loudly(data: str, index: str) -> None:
    with pytest.raises(ImproperlyConfigured):
        crypto.parse_keyring(data, index)


def test_the_index_key_must_differ_from_the_data_keys() -> None:
    key = new_key_text()
    with pytest.raises(ImproperlyConfigured):
        crypto.parse_keyring(f"k1:{key}", key)
