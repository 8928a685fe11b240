"""The magic's defaults as traitlets (issue 12.7): `%config AgentMagics.x = ...`, an IPython
profile's config file, `%agent defaults` (the same settings), and `%%agent --max-cost`."""

from __future__ import annotations

import os
import textwrap
from pathlib import Path
from typing import Any

import pytest

from rig_nb import Agent, PriceTable, UsageLimitExceeded, UsageLimits, tool
from rig_nb.core import Usage
from rig_nb.magics import AgentMagics, session_for
from rig_nb.magics._options import CellOptions
from rig_nb.testing import ScriptedModel, final, tool_call

from .kernel import Kernel
from .shell import cell

pytestmark = pytest.mark.anyio


def config(ip: Any, line: str) -> Any:
    return ip.run_line_magic("config", line)


@tool
def get_weather(city: str) -> str:
    """Weather for a city."""
    return f"{city}: 21 °C"


def test_the_magics_defaults_are_traitlets_on_a_configurable(shell: Any) -> None:
    magics = shell.magics_manager.registry["AgentMagics"]
    assert isinstance(magics, AgentMagics) and session_for(shell).config is magics
    assert magics in shell.configurables
    names = set(AgentMagics.class_trait_names(config=True))
    assert {"model", "system", "tools", "max_turns", "approve", "approve_tool", "max_cost"} <= names
    assert {"no_widget", "output", "out", "history_var", "budget", "kernel_tools"} <= names


def test_budget_and_kernel_tools_defaults_are_the_same_traits(shell: Any) -> None:
    """The context options of issue 12.1/12.3 are settings too: `%agent defaults` and `%config`
    write one value, and a cell's merged options read it."""
    shell.run_line_magic("agent", "defaults --budget 900 --kernel-tools")
    assert (config(shell, "AgentMagics.budget"), config(shell, "AgentMagics.kernel_tools")) == (
        900,
        True,
    )
    config(shell, "AgentMagics.budget = 1200")
    merged = session_for(shell).merged(CellOptions())
    assert (merged.budget, merged.kernel_tools) == (1200, True)
    assert session_for(shell).merged(CellOptions(budget=300)).budget == 300


async def test_config_and_agent_defaults_set_the_same_values(
    shell: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    config(shell, 'AgentMagics.model = "first"')
    config(shell, "AgentMagics.max_cost = 0.25")
    shell.run_line_magic("agent", "")
    shown = capsys.readouterr().out
    assert "model: first" in shown and "max cost: $0.250" in shown
    # %agent defaults sets the trait itself: %config reads it back.
    shell.run_line_magic("agent", "defaults -m second --max-turns 2 --approve auto")
    assert config(shell, "AgentMagics.model") == "second"
    assert (config(shell, "AgentMagics.max_turns"), config(shell, "AgentMagics.approve")) == (
        2,
        "auto",
    )
    assert config(shell, "AgentMagics.max_cost") == 0.25  # left as it was
    # and the latest %config wins over an earlier %agent defaults.
    config(shell, 'AgentMagics.model = "third"')
    capsys.readouterr()
    shell.run_line_magic("agent", "")
    assert "model: third" in capsys.readouterr().out


async def test_a_cell_runs_with_the_configured_defaults_and_its_own_options_win(
    shell: Any,
) -> None:
    configured = ScriptedModel(
        [[tool_call("get_weather", {"city": "Paris"}), final()], ["It is 21 °C.", final()]]
    )
    shell.user_ns.update(configured=configured, other=ScriptedModel([["other", final()]]))
    shell.user_ns.update(get_weather=get_weather, persona="You are terse.")
    config(shell, 'AgentMagics.model = "configured"')
    config(shell, 'AgentMagics.system = "persona"')
    config(shell, 'AgentMagics.tools = ["get_weather"]')
    config(shell, 'AgentMagics.approve_tool = {"get_weather": "auto"}')
    config(shell, "AgentMagics.max_turns = 1")
    config(shell, 'AgentMagics.out = "answer"')
    config(shell, 'AgentMagics.history_var = "chat"')
    config(shell, "AgentMagics.no_widget = True")
    await cell(shell, "%%agent\nWeather in Paris?")
    assert shell.user_ns["answer"].response == "It is 21 °C."
    assert [m.role for m in shell.user_ns["chat"]] == ["user", "assistant", "user", "assistant"]
    first = configured.requests[0]
    assert first.chat_history[0].content == "You are terse."  # the system prompt
    assert [t.name for t in first.tools] == ["get_weather"]
    assert "Paris: 21 °C" in str(configured.requests[1].chat_history[-1])  # ran: auto-approved
    # A cell's options win for that cell only.
    await cell(shell, "%%agent -m other -o once --new\nHi")
    assert shell.user_ns["once"].response == "other"
    assert config(shell, "AgentMagics.model") == "configured"
    assert config(shell, "AgentMagics.out") == "answer"


def test_a_bad_value_is_refused_with_a_clear_line_and_the_setting_kept(
    shell: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    config(shell, 'AgentMagics.approve = "auto"')
    for line, why in [
        ('AgentMagics.approve = "sometimes"', "expected any of ['ask', 'auto', 'deny'] or None"),
        ("AgentMagics.max_turns = -1", "should not be less than 0"),
        ("AgentMagics.max_cost = -0.5", "should not be less than 0.0"),
        ('AgentMagics.out = "not a name"', "out must be a variable name, got 'not a name'"),
        ('AgentMagics.approve_tool = {"f": "maybe"}', "must be any of ['ask', 'auto', 'deny']"),
    ]:
        config(shell, line)
        err = capsys.readouterr().err
        assert f"rig_nb: ignoring AgentMagics.{line.split('.')[1].split(' =')[0]}" in err, line
        assert why in err, (line, err)
    assert config(shell, "AgentMagics.approve") == "auto"
    assert config(shell, "AgentMagics.max_turns") == 5
    assert config(shell, "AgentMagics.max_cost") is None
    assert config(shell, "AgentMagics.out") == "agent_result"
    assert config(shell, "AgentMagics.approve_tool") == {}


def test_reloading_the_extension_keeps_the_defaults(shell: Any) -> None:
    config(shell, 'AgentMagics.model = "kept"')
    shell.run_line_magic("agent", "defaults --max-cost 0.1")
    shell.run_line_magic("reload_ext", "rig_nb")
    assert config(shell, "AgentMagics.model") == "kept"
    assert config(shell, "AgentMagics.max_cost") == 0.1
    live = [c for c in shell.configurables if isinstance(c, AgentMagics)]
    assert live == [session_for(shell).config]  # %config reads the one in use


# -- %%agent --max-cost ------------------------------------------------------------------------------


def priced_agent(*turns: list[Any], **kw: Any) -> Agent:
    model = ScriptedModel(list(turns))
    model.provider_name, model.model_name = "demo", "small"  # type: ignore[misc]
    table = PriceTable.from_prices({"demo:small": {"input_mtok": 100, "output_mtok": 1000}})
    return Agent(model, prices=table, tools=[get_weather], **kw)


async def test_max_cost_ends_the_run_with_the_error_and_the_history(
    shell: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    spend = Usage(input_tokens=1000, output_tokens=500, total_tokens=1500)  # $0.60 a call
    shell.user_ns["pricey"] = priced_agent(
        [tool_call("get_weather", {"city": "Paris"}), final(spend)],
        ["It is 21 °C.", final(spend)],
        usage_limits=UsageLimits(max_tool_calls=5),
    )
    await cell(shell, "%%agent -m pricey --max-cost 0.50 --approve auto --no-widget\nWeather?")
    error = shell.user_ns["agent_error"]
    assert isinstance(error, UsageLimitExceeded) and error.limit == "max_cost"
    assert error.value == 0.5 and error.cost == pytest.approx(0.6)
    assert "rig_nb: PromptError: UsageLimitExceeded: max_cost of $0.500 exceeded: $0.600 used" in (
        capsys.readouterr().err
    )
    assert [m.role for m in shell.user_ns["agent_history"]] == ["user"]  # the tool never ran
    assert "agent_result" not in shell.user_ns
    # The agent's own limits stay: --max-cost is set over them, on a copy.
    built = session_for(shell).build_agent(
        session_for(shell).merged(CellOptions(model="pricey", max_cost=2.0)), shell.user_ns
    )
    assert built.usage_limits == UsageLimits(max_tool_calls=5, max_cost=2.0)
    assert shell.user_ns["pricey"].usage_limits == UsageLimits(max_tool_calls=5)
    assert built.prices is shell.user_ns["pricey"].prices


async def test_max_cost_from_config_and_an_answer_within_it(shell: Any) -> None:
    cheap = Usage(input_tokens=10, output_tokens=5, total_tokens=15)
    shell.user_ns["pricey"] = priced_agent(["Cheap answer.", final(cheap)])
    config(shell, "AgentMagics.max_cost = 0.01")
    await cell(shell, "%%agent -m pricey\nHi")
    answer = shell.user_ns["agent_result"]
    assert answer.response == "Cheap answer." and answer.cost == pytest.approx(0.006)
    view = session_for(shell).view
    assert view is not None and view.state["usage"]["cost"] == pytest.approx(0.006)


async def test_max_cost_on_an_unpriced_model_says_so_before_any_call(
    shell: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    model = ScriptedModel([["never", final()]])
    shell.user_ns["m"] = model
    await cell(shell, "%%agent -m m --max-cost 1\nHi")
    err = capsys.readouterr().err
    assert "rig_nb: UserError: max_cost=$1.00 cannot be kept: no price for scripted:scripted" in err
    assert model.calls == 0


@pytest.mark.parametrize("value", ["-1", "nan", "inf", "abc"])
def test_a_bad_max_cost_option_is_a_usage_error(shell: Any, value: str) -> None:
    from IPython.core.error import UsageError

    with pytest.raises(UsageError):
        shell.run_line_magic("agent", f"defaults --max-cost {value}")


# -- a real IPython profile's config file, read by a real kernel -----------------------------------


PROFILE = """
c.InteractiveShellApp.extensions = ["rig_nb"]
c.InteractiveShellApp.exec_lines = [
    "from rig_nb.testing import ScriptedModel, final",
    "scripted = ScriptedModel([['From the profile.', final()]])",
]
c.AgentMagics.model = "scripted"
c.AgentMagics.max_turns = 1
c.AgentMagics.approve_tool = {"get_weather": "auto"}
c.AgentMagics.max_cost = 0.75
c.AgentMagics.approve = "sometimes"  # a typo: refused, the rest still applies
"""


def test_an_ipython_config_file_sets_the_defaults_of_a_real_kernel(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    profile = tmp_path / "profile_default"
    profile.mkdir()
    (profile / "ipython_config.py").write_text(textwrap.dedent(PROFILE))
    monkeypatch.setenv("IPYTHONDIR", str(tmp_path))
    kernel = Kernel()
    try:
        shown = kernel.run("%agent")
        assert not shown.errors, shown.errors
        lines = shown.stdout.splitlines()
        assert "model: scripted" in lines and "max turns: 1" in lines
        assert "max cost: $0.750" in lines and "approval: ask (get_weather=auto)" in lines
        assert kernel.value("get_ipython().run_line_magic('config', 'AgentMagics.model')") == (
            "scripted"
        )
        ran = kernel.run("%%agent --no-widget --max-cost 100\nHello")  # (unpriced: refused)
        assert "max_cost=$100.00 cannot be kept" in ran.stderr
        kernel.run("%config AgentMagics.max_cost = None")
        ran = kernel.run("%%agent --no-widget\nHello")
        assert not ran.errors and ran.stdout.startswith("From the profile.")
        assert kernel.value("agent_result.response") == "From the profile."
        kernel.run("%agent defaults -m other")
        assert (
            kernel.value("get_ipython().run_line_magic('config', 'AgentMagics.model')") == "other"
        )
    finally:
        kernel.close()
    assert os.environ["IPYTHONDIR"] == str(tmp_path)
