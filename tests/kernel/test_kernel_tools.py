"""`kernel_tools()`: list_variables, inspect_variable, run_python on a namespace."""

from __future__ import annotations

import asyncio
import json
import math
import types
from typing import Any

import matplotlib
import pandas as pd
import pytest
from matplotlib.figure import Figure

from rig_nb import Agent, StreamUserItem, Tool, ToolOutput, kernel_tools
from rig_nb.errors import ToolError, UserError
from rig_nb.testing import ScriptedModel, final, tool_call

from ..core.helpers import collect, final_of

pytestmark = pytest.mark.anyio


def tools_of(namespace: dict[str, Any], **kwargs: Any) -> dict[str, Tool]:
    return {t.name: t for t in kernel_tools(namespace, **kwargs)}


async def call(tool: Tool, **args: Any) -> str:
    return await tool.call(json.dumps(args))


def area(radius: float) -> float:
    """The area of a circle.

    Args:
        radius: Its radius.
    """
    return math.pi * radius**2


def test_the_tools_their_schemas_and_what_they_ask_for() -> None:
    tools = tools_of({})
    assert list(tools) == ["list_variables", "inspect_variable", "run_python"]
    assert tools["run_python"].approval == "ask"
    assert (tools["run_python"].code_argument, tools["run_python"].code_language) == (
        "code",
        "python",
    )
    assert tools["list_variables"].approval is None and tools["inspect_variable"].approval is None
    schema = tools["run_python"].definition().parameters
    assert schema["required"] == ["code"] and schema["properties"]["code"]["type"] == "string"
    assert (
        "name.attribute"
        in tools["inspect_variable"].definition().parameters["properties"]["name"]["description"]
    )
    assert list(tools_of({}, run_code=False)) == ["list_variables", "inspect_variable"]


def test_a_namespace_is_needed_outside_ipython_and_must_be_a_dict(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from rig_nb.kernel import _tools

    monkeypatch.setattr(_tools, "_shell", lambda: None)
    with pytest.raises(UserError, match=r"outside IPython pass one: kernel_tools\(globals\(\)\)"):
        kernel_tools()
    with pytest.raises(UserError, match="needs a dict namespace"):
        kernel_tools(types.MappingProxyType({}))  # type: ignore[arg-type]


async def test_in_ipython_the_default_is_the_user_namespace_without_ipython_s_names() -> None:
    from IPython.core.interactiveshell import InteractiveShell

    shell = InteractiveShell.instance()
    shell.user_ns["kernel_tools_marker"] = [1, 2]
    tools = {t.name: t for t in kernel_tools()}
    listed = await call(tools["list_variables"])
    assert "kernel_tools_marker: list — 2 items: [1, 2]" in listed
    assert "get_ipython" not in listed and "\nexit" not in listed and "\n_oh" not in listed
    await call(tools["run_python"], code="made_by_the_agent = 7")
    assert shell.user_ns.pop("made_by_the_agent") == 7
    del shell.user_ns["kernel_tools_marker"]


async def test_list_variables_names_types_summaries_and_modules() -> None:
    ns: dict[str, Any] = {
        "__builtins__": __builtins__,
        "df": pd.DataFrame({"a": range(10), "b": range(10)}),
        "names": ["Paris", "Rome"],
        "n": 3,
        "area": area,
        "Figure": Figure,
        "_private": 1,
        "In": [],
        "exit": object(),
        "pd": pd,
        "mpl": matplotlib,
        "shown": "x" * 500,
    }
    text = await call(tools_of(ns)["list_variables"])
    lines = text.splitlines()
    assert lines[0] == "6 variables:"
    assert "df: pandas DataFrame — 10 x 2" in lines
    assert "names: list — 2 items: ['Paris', 'Rome']" in lines
    assert "n: int — 3" in lines
    assert "area: function(radius: float) -> float" in lines
    assert "Figure: class Figure" in lines
    assert lines[-1] == "imported modules: matplotlib as mpl, pandas as pd"
    assert "_private" not in text and "In:" not in text and "exit" not in text
    shown = next(line for line in lines if line.startswith("shown:"))
    assert len(shown) < 120  # long values are shortened


async def test_ipython_s_own_names_are_not_variables() -> None:
    hidden_value = object()
    ns = {"get_ipython": hidden_value, "mine": 1}
    tools = kernel_tools(ns)
    assert "get_ipython" not in await call(tools[0])


async def test_inspect_variable_renders_rich_values_and_describes_the_rest() -> None:
    figure = Figure(figsize=(2, 2), dpi=50)
    ns: dict[str, Any] = {
        "df": pd.DataFrame({"city": ["Paris"], "temp": [21]}),
        "fig": figure,
        "area": area,
        "cfg": {"depth": 3},
        "pd": pd,
    }
    inspect = tools_of(ns)["inspect_variable"]
    frame = await call(inspect, name="df")
    assert isinstance(frame, ToolOutput) and frame.text.startswith(
        "df: pandas DataFrame: 1 row x 2 columns"
    )
    assert frame.display is not None and "<table" in frame.display.data
    image = await call(inspect, name="fig")
    assert isinstance(image, ToolOutput) and image.images[0][0] == "image/png"
    assert image.text == "fig: matplotlib Figure, 100x100 px"
    function = await call(inspect, name="area")
    assert isinstance(function, ToolOutput)
    assert "signature: area(radius: float) -> float" in function.text
    assert "The area of a circle." in function.text
    value = await call(inspect, name="cfg")
    assert value.endswith("repr:\n{'depth': 3}")
    assert (await call(inspect, name="df.shape")).endswith("repr:\n(1, 2)")  # a public attribute


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("missing", "no variable named 'missing'; list_variables shows the variables there are"),
        ("_secret", "only public names and attributes can be read, not '_secret'"),
        ("df.__class__", "not '__class__'"),
        ("area.__globals__", "not '__globals__'"),
        ("gen.gi_frame", "not 'gi_frame'"),
        ("df.nope", "DataFrame has no attribute 'nope'"),
        ("df[0]", "is not a variable name"),
        ("boom.value", "reading .value raised RuntimeError: the database is down"),
    ],
)
async def test_inspect_variable_reads_public_names_only(name: str, message: str) -> None:
    class Boom:
        @property
        def value(self) -> int:
            raise RuntimeError("the database is down")

    def gen() -> Any:
        yield 1

    ns = {"df": pd.DataFrame(), "area": area, "gen": gen(), "boom": Boom(), "_secret": "sk-x"}
    with pytest.raises(ToolError, match=message.replace("(", r"\(").replace("[", r"\[")):
        await call(tools_of(ns)["inspect_variable"], name=name)


async def test_run_python_runs_in_the_namespace_like_a_cell() -> None:
    ns: dict[str, Any] = {"x": 20}
    run = tools_of(ns)["run_python"]
    out = await call(run, code="y = x + 1\nprint('y is', y)\ny * 2")
    assert out == "stdout:\ny is 21\nresult:\n42"
    assert ns["y"] == 21  # what the code defines stays for the user
    assert await call(run, code="z = 1") == "(the code ran: it printed nothing and has no result)"
    assert await call(run, code="import sys\nprint('oops', file=sys.stderr)") == "stderr:\noops"
    assert (
        await call(run, code="await __import__('asyncio').sleep(0)\n'awaited'")
        == "result:\n'awaited'"
    )
    assert await call(run, code="None") == "(the code ran: it printed nothing and has no result)"


async def test_run_python_reports_exceptions_with_the_code_s_own_frames() -> None:
    ns: dict[str, Any] = {}
    run = tools_of(ns)["run_python"]
    out = await call(run, code="print('before')\ndef f():\n    return 1 / 0\nf()")
    assert out.startswith("stdout:\nbefore\nerror:\nTraceback (most recent call last):\n")
    assert (
        '  File "<run_python-' in out and "line 4, in <module>" in out and "    return 1 / 0" in out
    )
    assert out.endswith("ZeroDivisionError: division by zero")
    assert "rig_nb" not in out and "_exec.py" not in out
    syntax = await call(run, code="def (:")
    assert syntax.startswith("error:\n") and "SyntaxError" in syntax
    assert "SyntaxError: 'return' outside function" in await call(run, code="return 1")
    assert await call(run, code="raise SystemExit(3)") == "error:\nSystemExit: 3"
    with pytest.raises(KeyboardInterrupt):  # the kernel's interrupt stops the code and the run
        await call(run, code="raise KeyboardInterrupt")
    task = asyncio.ensure_future(call(run, code="await __import__('asyncio').sleep(10)"))
    await asyncio.sleep(0.05)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):  # a Stop is not the code's exception
        await task


async def test_run_python_returns_rich_results_and_new_figures_as_images() -> None:
    import matplotlib.pyplot as plt

    plt.close("all")
    ns: dict[str, Any] = {"pd": pd, "plt": plt}
    run = tools_of(ns)["run_python"]
    frame = await call(run, code="pd.DataFrame({'a': [1, 2]})")
    assert isinstance(frame, ToolOutput)
    assert frame.text.startswith("result:\npandas DataFrame: 2 rows x 1 column")
    assert frame.display is not None and "<table" in frame.display.data
    figures = await call(
        run,
        code="plt.figure(figsize=(2, 1), dpi=50)\nplt.plot([1, 2])\nplt.title('T')\nprint('drawn')",
    )
    assert isinstance(figures, ToolOutput) and len(figures.images) == 1
    assert figures.text.splitlines()[-1] == "new figure: matplotlib Figure, 100x50 px, 1 Axes: 'T'"
    returned = await call(run, code="fig = plt.figure(figsize=(1, 1), dpi=50)\nfig")
    assert isinstance(returned, ToolOutput) and len(returned.images) == 1  # not twice
    assert "new figure" not in returned.text
    again = await call(run, code="1")
    assert again == "result:\n1"  # figures of earlier runs are not new
    plt.close("all")


async def test_run_python_output_keeps_to_the_budget() -> None:
    run = tools_of({}, budget=500)["run_python"]
    out = await call(run, code="for i in range(2000):\n    print(i)\nlist(range(5000))")
    stdout, result = out.split("\nresult:\n")
    assert stdout.endswith("1999") and "more characters cut]" in stdout  # the end is kept
    assert len(result) <= 540 and result.startswith("[0,")


async def test_through_the_agent_loop_the_model_reads_the_result() -> None:
    ns: dict[str, Any] = {"prices": [3, 4, 5]}
    model = ScriptedModel(
        [
            [tool_call("run_python", {"code": "sum(prices)"}, id="c1"), final()],
            ["The total is 12.", final()],
        ]
    )
    items, error = await collect(Agent(model, tools=kernel_tools(ns)).stream_chat("Total?", []))
    assert error is None and final_of(items).response == "The total is 12."
    result = next(i.content for i in items if isinstance(i, StreamUserItem))
    assert result.tool_result.content[0].text == "result:\n12"  # type: ignore[union-attr]


async def test_a_display_method_that_fails_falls_back_to_the_repr() -> None:
    class Broken:
        def _repr_html_(self) -> str:
            raise RuntimeError("no HTML today")

        def __repr__(self) -> str:
            return "Broken()"

    tools = tools_of({"broken": Broken(), "Broken": Broken})
    described = await call(tools["inspect_variable"], name="broken")
    assert "(its rich rendition failed: RuntimeError: no HTML today)" in described
    assert described.endswith("repr:\nBroken()")
    assert await call(tools["run_python"], code="broken") == "result:\nBroken()"
