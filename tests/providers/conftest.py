"""Provider tests: recorded bodies, served by MockTransport and by a real loopback server."""

from pathlib import Path

import pytest

from rig_nb import tool
from rig_nb.providers import HttpSettings

FIXTURES = Path(__file__).parent / "fixtures"

FAST = HttpSettings(connect_timeout=2.0, read_timeout=2.0, max_retries=2, retry_base_delay=0.01)


@pytest.fixture(autouse=True)
def no_provider_keys(monkeypatch: pytest.MonkeyPatch) -> None:
    """No test may pick up a real key or base URL from the environment."""
    for name in (
        "OPENAI_API_KEY",
        "OPENAI_BASE_URL",
        "ANTHROPIC_API_KEY",
        "ANTHROPIC_BASE_URL",
        "GEMINI_API_KEY",
        "GOOGLE_API_KEY",
        "GEMINI_BASE_URL",
        "OLLAMA_HOST",
        "OPENROUTER_API_KEY",
    ):
        monkeypatch.delenv(name, raising=False)


def fixture(vendor: str, name: str) -> Path:
    return FIXTURES / vendor / name


@tool
def get_weather(location: str) -> dict:
    """Current weather.

    Args:
        location: A city.
    """
    return {"location": location, "temp_c": 18}


@tool
def get_time() -> str:
    """The time."""
    return "12:00"
