"""The `shell` fixture of the magic tests (tests/magics/shell.py)."""

from collections.abc import Iterator
from typing import Any

import pytest

from .shell import fresh_shell


@pytest.fixture
def shell() -> Iterator[Any]:
    """The process's IPython shell with rig_nb loaded and a fresh session."""
    yield from fresh_shell()
