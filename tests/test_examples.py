"""The example scripts run end to end (the README's main job)."""

import subprocess
import sys
from pathlib import Path

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"


def test_quickstart_streams_a_tool_round_trip() -> None:
    out = subprocess.run(
        [sys.executable, str(EXAMPLES / "quickstart.py")],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert "[tool call] get_weather({'city': 'Paris'})" in out
    assert '[tool result] text=\'{"city":"Paris","temperature_c":21,"sky":"clear"}\'' in out
    assert "It is 21 °C and clear in Paris." in out
    assert "total_tokens=136" in out
    assert "[history] 4 messages" in out


def test_providers_example_runs_offline() -> None:
    import os

    env = {k: v for k, v in os.environ.items() if not k.endswith("_API_KEY")}
    out = subprocess.run(
        [sys.executable, str(EXAMPLES / "providers.py")],
        capture_output=True,
        text=True,
        check=True,
        env=env,
    ).stdout
    assert "openai (recorded): 'Hello there, Ünïcode ✓.'  [18 tokens]" in out
    assert (
        "vllm: OpenAIChatModel(model='Qwen/Qwen2.5-7B-Instruct', base_url='http://localhost:8000/v1', api_key=none)"
        in out
    )
