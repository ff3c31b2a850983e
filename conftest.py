"""Fixtures for every test folder (realname/ and tests/)."""

from __future__ import annotations

import pytest

from realname.testing import World, build_world


@pytest.fixture
def world(db: None) -> World:
    return build_world()
