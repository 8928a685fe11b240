"""Shared fixtures: every async test runs on asyncio (the kernel's loop)."""

import pytest


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"
