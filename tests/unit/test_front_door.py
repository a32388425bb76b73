"""The lazy front door (ADR 0030): every public name resolves, to the object of its home."""

from __future__ import annotations

import importlib

import pytest

import jcds2


def test_every_public_name_is_in_the_lazy_table_and_resolves() -> None:
    public = set(jcds2.__all__) - {"__version__"}
    assert public == set(jcds2._FRONT_DOOR)
    for name in public:
        home = importlib.import_module(jcds2._FRONT_DOOR[name])
        assert getattr(jcds2, name) is getattr(home, name)
        assert name in dir(jcds2)


def test_old_names_still_resolve_and_unknown_ones_raise() -> None:
    from jcds2.errors import NoRemoteHashError  # noqa: PLC0415
    from jcds2.ports import ObjectUploader  # noqa: PLC0415

    assert jcds2.NoRemoteHashError is NoRemoteHashError
    assert jcds2.ObjectUploader is ObjectUploader
    with pytest.raises(AttributeError, match="NoSuchName"):
        jcds2.NoSuchName  # noqa: B018
