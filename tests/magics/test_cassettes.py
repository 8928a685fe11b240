"""`%%agent --record PATH` then `%%agent --replay PATH`: the same answers, offline, no key."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from IPython.core.error import UsageError

from rig_nb.magics import session_for
from rig_nb.magics._options import parse_cell_line
from rig_nb.testing import ScriptedModel, final

from .shell import cell

pytestmark = pytest.mark.anyio


async def test_record_then_replay_without_the_model_or_a_key(
    shell: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    cassette = tmp_path / "notebook.jsonl"
    shell.user_ns["scripted"] = ScriptedModel(
        [["Bonjour.", final(total_tokens=3)], ["Au revoir.", final(total_tokens=4)]]
    )
    await cell(shell, f"%%agent -m scripted --no-widget --new --record {cassette}\nSay hello")
    await cell(shell, f"%%agent -m scripted --no-widget --record {cassette}\nSay goodbye")
    assert shell.user_ns["agent_result"].response == "Au revoir."
    lines = cassette.read_text().splitlines()
    assert len(lines) == 3  # one header; the second cell added to the cassette
    assert json.loads(lines[0])["kind"] == "choices"

    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    replay = f"--replay {cassette} --no-widget"
    await cell(shell, f"%%agent -m openai:gpt-4o-mini --new {replay}\nSay hello")
    assert shell.user_ns["agent_result"].response == "Bonjour."
    await cell(shell, f"%%agent {replay}\nSay goodbye")
    assert shell.user_ns["agent_result"].response == "Au revoir."
    assert len(shell.user_ns["agent_history"]) == 4

    await cell(shell, f"%%agent {replay}\nSomething never recorded")
    error = shell.user_ns["agent_error"]
    assert "UnrecordedRequest" in str(error) and "holds no model call like this one" in str(error)


def test_record_and_replay_exclude_each_other_and_a_missing_cassette_is_one_line(
    shell: Any, tmp_path: Path
) -> None:
    with pytest.raises(UsageError, match="exclude each other"):
        parse_cell_line("--record a.jsonl --replay b.jsonl")
    options = parse_cell_line(f"--replay {tmp_path / 'none.jsonl'}")
    with pytest.raises(UsageError, match="record one first"):
        session_for(shell).build_agent(options, shell.user_ns)


async def test_a_cassette_as_a_default_one_mode_at_a_time(shell: Any, tmp_path: Path) -> None:
    cassette = tmp_path / "defaults.jsonl"
    session = session_for(shell)
    shell.user_ns["scripted"] = ScriptedModel([["Hi.", final(total_tokens=2)]])
    try:
        shell.run_line_magic("agent", f"defaults --record {cassette}")
        await cell(shell, "%%agent -m scripted --no-widget --new\nSay hi")
        assert json.loads(cassette.read_text().splitlines()[0])["kind"] == "choices"

        shell.run_line_magic("agent", f"defaults --replay {cassette}")  # replaces --record
        assert session.config.record is None and session.config.replay == str(cassette)
        await cell(shell, "%%agent -m openai:gpt-4o-mini --no-widget --new\nSay hi")
        assert shell.user_ns["agent_result"].response == "Hi."

        shell.run_line_magic("config", f"AgentMagics.record = {str(cassette)!r}")
        with pytest.raises(UsageError, match="both record to"):
            session.merged(parse_cell_line(""))
        one = session.merged(parse_cell_line(f"--replay {cassette}"))  # the cell decides
        assert one.replay == str(cassette) and one.record is None
    finally:
        session.defaults = type(session.defaults)()
