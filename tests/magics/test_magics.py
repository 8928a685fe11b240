"""`%%agent` and `%agent` in a real IPython shell, awaited the way ipykernel awaits a cell."""

import asyncio
import json
from typing import Any

import pytest
from IPython.core.error import UsageError

from rig_nb import FinalResponse, Message, ProviderError, Text, tool
from rig_nb.magics import kernel_can_await, session_for, transform_agent_cells
from rig_nb.magics._options import interpolate, parse_cell_line
from rig_nb.testing import Delay, ScriptedModel, final, tool_call

from .shell import cell

pytestmark = pytest.mark.anyio


@tool
def get_weather(city: str) -> dict:
    """Weather for a city."""
    return {"city": city, "temp_c": 21}


def weather_model() -> ScriptedModel:
    return ScriptedModel(
        [
            [tool_call("get_weather", {"city": "Paris"}), final(total_tokens=3)],
            ["It is 21 °C.", final(total_tokens=5)],
            ["You asked about Paris.", final(total_tokens=7)],
        ]
    )


def test_the_transformer_turns_agent_cells_into_awaits() -> None:
    out = transform_agent_cells(
        ["%%agent -m m --approve auto\n", "Hello {name}\n", "second line\n"]
    )
    assert out == [
        "await __import__('rig_nb.magics', fromlist=['run_cell']).run_cell('-m m --approve auto', 'Hello {name}\\nsecond line\\n')\n"
    ]
    assert transform_agent_cells(["%%agentx\n"]) == ["%%agentx\n"]
    assert transform_agent_cells(["x = 1\n"]) == ["x = 1\n"]


def test_kernel_detection() -> None:
    class Kernel:
        autoawait = True
        kernel = object()

    class Terminal:
        autoawait = True

    assert kernel_can_await(Kernel(), "7.4.0")
    assert kernel_can_await(Kernel(), "8.0.1")
    assert not kernel_can_await(Kernel(), "7.3.2")
    assert not kernel_can_await(Kernel(), "6.31.0")
    assert kernel_can_await(Kernel())  # the installed one (>= 7.4, the notebook extra's floor)
    assert kernel_can_await(Terminal())
    Kernel.autoawait = False
    assert not kernel_can_await(Kernel(), "7.4.0")


@pytest.mark.parametrize("line", ["--help", "-h", "-m m --help"])
def test_help_lists_every_option(line: str) -> None:
    with pytest.raises(UsageError) as caught:
        parse_cell_line(line)
    text = str(caught.value)
    assert text.startswith("%%agent options:")
    for option in ("--model", "--approve", "--over", "--concurrency", "--cache", "--record"):
        assert option in text, option


def test_option_parsing_and_errors() -> None:
    options = parse_cell_line(
        '-m openai:gpt-4o-mini -s "Be brief." -t get_weather,get_time other --max-turns 3 --approve ask --approve-tool get_weather=auto --new -o res --history-var hist --no-widget'
    )
    assert (options.model, options.system, options.tools) == (
        "openai:gpt-4o-mini",
        "Be brief.",
        ["get_weather", "get_time", "other"],
    )
    assert (options.max_turns, options.approve, options.approve_tool) == (
        3,
        "ask",
        {"get_weather": "auto"},
    )
    assert (options.new, options.out, options.history_var, options.no_widget) == (
        True,
        "res",
        "hist",
        True,
    )
    for line, message in [
        ("--bogus", "unrecognized arguments: --bogus"),
        ("--approve sometimes", "invalid choice: 'sometimes'"),
        ("--approve-tool get_weather", "--approve-tool takes TOOL=ask|auto|deny"),
        ("--max-turns -1", "--max-turns must be 0 or more"),
        ("-o 1x", "'1x' is not a valid variable name"),
        ("--max-turns many", "invalid int value"),
    ]:
        with pytest.raises(UsageError, match=message):
            parse_cell_line(line)


def test_interpolation() -> None:
    class City:
        name = "Paris"

    namespace = {"city": City(), "n": 3}
    assert (
        interpolate("Weather in {city.name} for {n} days", namespace)
        == "Weather in Paris for 3 days"
    )
    assert (
        interpolate('JSON: {{"a": 1}} and {unknown} and {city.nope}', namespace)
        == 'JSON: {"a": 1} and {unknown} and {city.nope}'
    )


async def test_a_cell_runs_and_the_next_cell_sees_result_and_history(shell: Any) -> None:
    shell.user_ns.update(model=weather_model(), get_weather=get_weather, city="Paris")
    result = await cell(shell, "%%agent -m model -t get_weather --approve auto\nWeather in {city}?")
    assert result.error_in_exec is None and result.error_before_exec is None
    answer = shell.user_ns["agent_result"]
    assert isinstance(answer, FinalResponse) and answer.response == "It is 21 °C."
    history = shell.user_ns["agent_history"]
    assert history[0] == Message.user("Weather in Paris?")
    assert len(history) == 4
    # The next cell continues the conversation.
    await cell(shell, "%%agent -m model\nWhat did I ask?")
    assert shell.user_ns["agent_result"].response == "You asked about Paris."
    assert len(shell.user_ns["agent_history"]) == 6
    sent = shell.user_ns["model"].requests[2].chat_history
    assert sent[:4] == history and sent[-1] == Message.user("What did I ask?")
    # JSON round trip of what landed in the namespace.
    from rig_nb import history_from_json, history_to_json

    assert (
        history_from_json(history_to_json(shell.user_ns["agent_history"]))
        == shell.user_ns["agent_history"]
    )
    assert json.loads(shell.user_ns["agent_result"].model_dump_json())["type"] == "finalResponse"


async def test_new_conversation_and_variable_names(shell: Any) -> None:
    shell.user_ns["m"] = ScriptedModel([["one", final()], ["two", final()]])
    await cell(shell, "%%agent -m m\nfirst")
    await cell(shell, "%%agent -m m --new -o reply --history-var chat\nsecond")
    assert shell.user_ns["reply"].response == "two"
    assert shell.user_ns["chat"] == [Message.user("second"), Message.assistant("two")]
    assert shell.user_ns["m"].requests[1].chat_history == [Message.user("second")]


@pytest.mark.parametrize(
    ("source", "message"),
    [
        ("%%agent -m nope\nhi", "unknown model 'nope'"),
        ("%%agent -m m -t missing_tool\nhi", "no tool named 'missing_tool' in the namespace"),
        ("%%agent -m m --bogus\nhi", "unrecognized arguments: --bogus"),
        ("%%agent\nhi", "no model: pass -m openai:gpt-4o-mini"),
        ("%%agent -m m\n   ", "the %%agent cell is empty"),
        ("%%agent -m mistral:large\nhi", "unknown model vendor 'mistral'"),
        ("%%agent -m n\nhi", "'n' is a int, not a model or an Agent"),
    ],
)
async def test_mistakes_are_one_line_usage_errors(
    shell: Any, capsys: pytest.CaptureFixture[str], source: str, message: str
) -> None:
    shell.user_ns.update(m=ScriptedModel([]), n=3)
    result = await cell(shell, source)
    assert isinstance(result.error_in_exec, UsageError)
    assert message in str(result.error_in_exec)
    out = capsys.readouterr()
    assert "Traceback" not in out.out + out.err


async def test_a_provider_failure_keeps_the_history_and_does_not_raise(
    shell: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    shell.user_ns["m"] = ScriptedModel([["Partial", ProviderError("boom")]])
    result = await cell(shell, "%%agent -m m\nquestion")
    assert result.error_in_exec is None
    assert shell.user_ns["agent_history"] == [
        Message.user("question"),
        Message.assistant("Partial"),
    ]
    assert isinstance(shell.user_ns["agent_error"], ProviderError)
    assert "rig_nb: CompletionError: ProviderError: boom" in capsys.readouterr().err


async def test_no_widget_mode_streams_plain_text(
    shell: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    shell.user_ns.update(model=weather_model(), get_weather=get_weather)
    await cell(shell, "%%agent -m model -t get_weather --no-widget\nWeather?")
    out = capsys.readouterr().out
    assert "[tool call] get_weather({'city': 'Paris'})" in out
    assert "[tool result] The user declined to run this tool." in out  # headless ask -> deny
    assert "It is 21 °C." in out
    assert (
        "rig_nb: No notebook front end could approve 'get_weather', so it was skipped (headless approval policy: deny)."
        in out
    )


async def test_interrupt_during_an_approval_wait_keeps_the_history(shell: Any) -> None:
    shell.user_ns.update(model=weather_model(), get_weather=get_weather)
    session = session_for(shell)
    session.view = None
    task = asyncio.ensure_future(cell(shell, "%%agent -m model -t get_weather\nWeather?"))
    for _ in range(400):
        await asyncio.sleep(0.005)
        if session.view is not None:
            session.view.rendered = True  # a browser is showing it: the approval waits for a click
            if session.view.state.get("status") == "waiting":
                break
    assert session.view is not None and session.view.state["status"] == "waiting"
    task.cancel()  # the kernel's interrupt button cancels the cell
    await asyncio.gather(task, return_exceptions=True)
    assert session.history == [Message.user("Weather?")]
    assert shell.user_ns["agent_history"] == [Message.user("Weather?")]
    assert session.view.state["status"] == "cancelled"


async def test_stop_button_through_the_magic_keeps_the_partial_answer(shell: Any) -> None:
    shell.user_ns["m"] = ScriptedModel(
        [["Partial ", Delay(0.05), "answer", Delay(5), "never", final()]]
    )
    session = session_for(shell)
    session.view = None
    task = asyncio.ensure_future(cell(shell, "%%agent -m m\nTell me"))
    for _ in range(400):
        await asyncio.sleep(0.01)
        if session.view is not None and "answer" in str(session.view.state.get("blocks")):
            break
    assert session.view is not None
    session.view._on_message(session.view, {"kind": "stop"}, [])
    result = await task
    assert result.error_in_exec is None  # a Stop is not an error
    assert shell.user_ns["agent_history"] == [
        Message.user("Tell me"),
        Message.assistant("Partial answer"),
    ]
    assert shell.user_ns["agent_error"].reason == "stopped by user"


async def test_the_line_magic(
    shell: Any, capsys: pytest.CaptureFixture[str], tmp_path: Any
) -> None:
    shell.user_ns.update(m=ScriptedModel([["hello", final()]]), get_weather=get_weather)
    shell.run_line_magic("agent", "defaults -m m -t get_weather --approve auto --max-turns 2")
    out = capsys.readouterr().out
    assert (
        "model: m" in out
        and "tools: get_weather" in out
        and "approval: auto" in out
        and "max turns: 2" in out
    )
    await cell(shell, "%%agent\nhi")
    assert shell.user_ns["agent_result"].response == "hello"
    shell.run_line_magic("agent", "tools")
    assert "@tool objects in the namespace: get_weather" in capsys.readouterr().out
    shell.run_line_magic("agent", "history")
    assert capsys.readouterr().out.splitlines() == ["user: hi", "assistant: hello"]
    path = tmp_path / "chat.json"
    shell.run_line_magic("agent", f"save {path}")
    shell.run_line_magic("agent", "reset")
    assert session_for(shell).history == [] and shell.user_ns["agent_history"] == []
    shell.run_line_magic("agent", f"load {path}")
    assert shell.user_ns["agent_history"] == [Message.user("hi"), Message.assistant("hello")]
    with pytest.raises(UsageError, match="unknown %agent command 'frobnicate'"):
        shell.run_line_magic("agent", "frobnicate")
    with pytest.raises(UsageError, match="cannot load a history"):
        shell.run_line_magic("agent", f"load {tmp_path / 'missing.json'}")


async def test_the_fallback_for_kernels_that_cannot_await(
    shell: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    shell.user_ns["m"] = ScriptedModel([["late", Delay(0.01), final()]])
    shell.run_cell_magic("agent", "-m m", "hello")
    assert "the run goes on in the background" in capsys.readouterr().out
    task = session_for(shell).background
    assert task is not None
    await task
    assert shell.user_ns["agent_result"].response == "late"


async def test_structured_output_from_the_magic(shell: Any) -> None:
    from pydantic import BaseModel

    class City(BaseModel):
        name: str
        population: int

    shell.user_ns.update(
        City=City, m=ScriptedModel([['{"name": "Paris", "population": 2100000}', final()]])
    )
    await cell(shell, "%%agent -m m --output City --new\nBiggest French city, as JSON")
    assert shell.user_ns["agent_result"].output == City(name="Paris", population=2_100_000)
    assert shell.user_ns["m"].requests[0].output_schema == City.model_json_schema()
    result = await cell(shell, "%%agent -m m --output nope\nx")
    assert "--output needs the name of a class" in str(result.error_in_exec)


# -- "Always allow" belongs to the conversation, and a deny beats it (issue 9, point 15) --------


def delete_model() -> ScriptedModel:
    return ScriptedModel(
        [
            [tool_call("get_weather", {"city": "Paris"}), final()],
            ["Done.", final()],
        ]
    )


async def always_allow_once(ip: Any) -> None:
    """Run a cell that asks, and click "Always allow this tool" on its card."""
    session = session_for(ip)
    session.view = None
    ip.user_ns.update(model=delete_model(), get_weather=get_weather)
    task = asyncio.ensure_future(cell(ip, "%%agent -m model -t get_weather --approve ask\nGo"))
    card = None
    for _ in range(400):
        await asyncio.sleep(0.005)
        view = session.view
        if view is not None:
            view.rendered = True
            card = next(
                (b["id"] for b in view.state.get("blocks", []) if b.get("status") == "waiting"),
                None,
            )
            if card:
                view._on_message(view, {"kind": "always_allow", "id": card}, [])
                break
    assert card is not None, "no card waited for approval"
    assert (await task).error_in_exec is None
    assert session.always_allowed == {"get_weather"}
    done = next(b for b in session.view.state["blocks"] if b["kind"] == "tool")
    assert (done["status"], done["decision"]) == ("done", {"kind": "always_allowed", "reason": ""})


def tool_card(ip: Any) -> dict[str, Any]:
    view = session_for(ip).view
    assert view is not None
    return next(b for b in view.state["blocks"] if b["kind"] == "tool")


async def test_an_always_allowed_tool_runs_without_asking_and_its_card_says_why(
    shell: Any,
) -> None:
    await always_allow_once(shell)
    shell.user_ns["model"] = delete_model()
    result = await cell(shell, "%%agent -m model -t get_weather --approve ask\nAgain")
    assert result.error_in_exec is None
    card = tool_card(shell)
    assert (card["status"], card["decision"]) == ("done", {"kind": "always_allowed", "reason": ""})
    transcript = session_for(shell).view._repr_mimebundle_()["text/plain"]
    assert "[tool get_weather(" in transcript and ") - done: always allowed]" in transcript


@pytest.mark.parametrize(
    ("defaults", "options", "env"),
    [
        ("", "--approve deny", None),
        ("", "--approve-tool get_weather=deny", None),
        ("", "--approve auto --approve-tool get_weather=deny", None),
        ("--approve deny", "", None),
        ("--approve-tool get_weather=deny", "", None),
        ("", "", "deny"),
    ],
    ids=[
        "cell-deny",
        "cell-tool-deny",
        "tool-deny-over-auto",
        "default-deny",
        "default-tool-deny",
        "env-deny",
    ],
)
async def test_an_explicit_deny_beats_always_allow(
    shell: Any, monkeypatch: pytest.MonkeyPatch, defaults: str, options: str, env: str | None
) -> None:
    await always_allow_once(shell)
    if defaults:
        shell.run_line_magic("agent", f"defaults {defaults}")
    if env:
        monkeypatch.setenv("RIG_NB_APPROVAL", env)
    model = shell.user_ns["model"] = delete_model()
    result = await cell(shell, f"%%agent -m model -t get_weather {options}\nAgain")
    assert result.error_in_exec is None
    card = tool_card(shell)
    assert (card["status"], card["decision"]) == (
        "skipped",
        {"kind": "denied", "reason": "a deny beats Always allow"},  # typed: issue 10 point 10
    )
    sent = model.requests[1].prompt.content[0].content[0].text
    assert sent == "The user declined to run this tool."
    assert session_for(shell).always_allowed == {"get_weather"}  # still there for other cells


async def test_always_allow_ends_with_the_conversation(
    shell: Any, capsys: pytest.CaptureFixture[str], tmp_path: Any
) -> None:
    session = session_for(shell)
    await always_allow_once(shell)
    capsys.readouterr()
    shell.run_line_magic("agent", "allow")
    assert capsys.readouterr().out == "always allowed in this conversation: get_weather\n"
    shell.run_line_magic("agent", "allow --clear")
    assert session.always_allowed == set()
    shell.run_line_magic("agent", "allow")
    assert capsys.readouterr().out.endswith("always allowed in this conversation: (none)\n")
    with pytest.raises(UsageError, match="%agent allow takes nothing or --clear, got 'x'"):
        shell.run_line_magic("agent", "allow x")
    # --new starts another conversation: it asks again (headless here: the notice says so).
    await always_allow_once(shell)
    shell.user_ns["model"] = delete_model()
    await cell(shell, "%%agent -m model -t get_weather --new\nFresh start")
    assert session.always_allowed == set()
    assert tool_card(shell)["status"] == "skipped"  # asked, nobody could click: headless deny
    # %agent reset and %agent load end the conversation too.
    for command in ("reset", f"load {tmp_path / 'chat.json'}"):
        shell.run_line_magic("agent", f"save {tmp_path / 'chat.json'}")
        await always_allow_once(shell)
        shell.run_line_magic("agent", command)
        assert session.always_allowed == set(), command


# -- Whatever ends a run, the view ends and the history stays (issue 9, point 16) ----------------


class BrokenHook:
    """An inner hook with a bug: it fails before the second model call."""

    async def on_completion_call(self, prompt: Any, history: list[Any]) -> None:
        if history:
            raise RuntimeError("disk on fire")


@pytest.mark.parametrize("where", ["hook", "listener", "reducer", "keyboard"])
async def test_any_exception_ends_the_view_and_keeps_the_history(
    shell: Any, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], where: str
) -> None:
    from rig_nb import Agent, PromptHook
    from rig_nb.magics import _runtime
    from rig_nb.widgets import _reducer

    steps: list[Any] = ["one ", "two ", "three ", "four ", final()]
    if where == "keyboard":
        steps = ["one ", "two ", KeyboardInterrupt()]
    model: Any = ScriptedModel([steps])
    flags = ""
    if where == "hook":
        hook = type(
            "Broken", (PromptHook,), {"on_completion_call": BrokenHook.on_completion_call}
        )()
        model = ScriptedModel([["one two three ", tool_call("get_weather", {"city": "Paris"})]])
        model = Agent(model, hook=hook, tools=[get_weather])
        flags = " --approve auto"
    elif where == "listener":
        flags = " --no-widget"

        def broken_print(self: Any, item: Any) -> None:
            if "three" in str(item):
                raise RuntimeError("disk on fire")

        monkeypatch.setattr(_runtime._Printer, "__call__", broken_print)
    elif where == "reducer":
        apply = _reducer.ViewState.apply

        def broken_apply(self: Any, item: Any) -> None:
            if "three" in str(item):
                raise RuntimeError("disk on fire")
            apply(self, item)

        monkeypatch.setattr(_reducer.ViewState, "apply", broken_apply)
    shell.user_ns["m"] = model
    session = session_for(shell)
    result = await cell(shell, f"%%agent -m m --new{flags}\nCount")
    view = session.view
    assert view is not None
    assert view.state["status"] in ("error", "cancelled")  # not running: Stop is off, no spinner
    if where == "keyboard":
        assert view.state["error"] == "Interrupted: a KeyboardInterrupt stopped the run"
        assert type(result.error_in_exec).__name__ == "RunKeyboardInterrupt"
        assert isinstance(result.error_in_exec, KeyboardInterrupt)
        said = "one two "
    else:
        assert "RuntimeError" in view.state["error"] and "disk on fire" in view.state["error"]
        assert "disk on fire" in str(shell.user_ns["agent_error"])
        out = capsys.readouterr()
        assert "disk on fire" in out.out + out.err  # the cell says so too
        said = "one two three "  # the model said "three" before the hook, listener or view broke
    history = shell.user_ns["agent_history"]
    if where == "hook":  # it broke before the second model call: the first turn is kept whole
        assert [m.role for m in history] == ["user", "assistant", "user"]
        assert history[0] == Message.user("Count")
        assert history[1].content[0] == Text(text="one two three ")
        assert history[1].content[1].function.name == "get_weather"
        assert history[2].content[0].content[0].text == '{"city":"Paris","temp_c":21}'
    else:
        assert history == [Message.user("Count"), Message.assistant(said)]
    assert session.history == history
    assert view.run_stream is None  # Stop has nothing left to stop


async def test_a_background_run_that_breaks_ends_its_view_and_says_so(
    shell: Any, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from rig_nb.widgets import _reducer

    apply = _reducer.ViewState.apply

    def broken_apply(self: Any, item: Any) -> None:
        if "two" in str(item):
            raise RuntimeError("disk on fire")
        apply(self, item)

    monkeypatch.setattr(_reducer.ViewState, "apply", broken_apply)
    shell.user_ns["m"] = ScriptedModel([["one ", Delay(0.01), "two ", final()]])
    shell.run_cell_magic("agent", "-m m --new", "hello")
    task = session_for(shell).background
    assert task is not None
    await asyncio.wait([task])
    await asyncio.sleep(0)  # the done callback
    assert session_for(shell).view.state["status"] == "error"
    assert shell.user_ns["agent_history"] == [Message.user("hello"), Message.assistant("one two ")]
    assert (
        "rig_nb: the background run failed: RuntimeError: disk on fire" in capsys.readouterr().err
    )
