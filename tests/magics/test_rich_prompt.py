"""`%%agent` prompts from the namespace: `{df}`, `{fig}`, `{In[n]}`, `{Out[n]}`, `{Err[-1]}`, `-a`."""

from __future__ import annotations

import base64
import re
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from IPython.core.error import UsageError
from matplotlib.figure import Figure

from rig_nb import DocumentContent, Image, Message, Text, UserMessage
from rig_nb.magics import session_for
from rig_nb.magics._options import interpolate, parse_cell_line
from rig_nb.testing import ScriptedModel, final, tool_call

pytestmark = pytest.mark.anyio


@pytest.fixture
def shell(shell: Any) -> Any:
    """Numbered cells, as in a notebook: In and Out are the shell's history."""
    shell.user_ns["In"] = shell.history_manager.input_hist_parsed
    shell.user_ns["Out"] = shell.history_manager.output_hist
    return shell


async def run(ip: Any, source: str) -> Any:
    """A cell as a notebook runs it: numbered and kept in In/Out."""
    return await ip.run_cell_async(
        source, store_history=True, transformed_cell=ip.transform_cell(source)
    )


async def ask(ip: Any, body: str, flags: str = "") -> UserMessage:
    """Run a `%%agent` cell; the user message the model got."""
    model = ip.user_ns["m"] = ScriptedModel([["ok", final()]])
    result = await run(ip, f"%%agent -m m --new --no-widget {flags}\n{body}")
    assert result.error_in_exec is None, result.error_in_exec
    prompt = model.requests[0].chat_history[-1]
    assert isinstance(prompt, UserMessage)
    return prompt


def text_of(message: UserMessage) -> str:
    first = message.content[0]
    assert isinstance(first, Text)
    return first.text


async def test_a_dataframe_field_is_its_description_and_a_figure_an_image(shell: Any) -> None:
    shell.user_ns["df"] = pd.DataFrame({"city": ["Paris", "Rome"], "temp": [21, 25]})
    figure = Figure(figsize=(3, 2), dpi=100)
    figure.add_subplot().set_title("Temps")
    shell.user_ns["fig"] = figure
    prompt = await ask(shell, "Which is warmest?\n{df}\nPlot like {fig}")
    text = text_of(prompt)
    assert text.startswith("Which is warmest?\npandas DataFrame: 2 rows x 2 columns\ncolumns:")
    assert text.endswith("Plot like [image 1: fig: matplotlib Figure, 300x200 px, 1 Axes: 'Temps']")
    assert [type(p).__name__ for p in prompt.content] == ["Text", "Image"]
    image = prompt.content[1]
    assert isinstance(image, Image) and image.media_type == "png"
    assert shell.user_ns["agent_history"][0] == prompt  # the history keeps what the model saw


async def test_the_budget_option_limits_each_object(shell: Any) -> None:
    shell.user_ns["big"] = pd.DataFrame({f"col{i}": ["x" * 200] * 50 for i in range(30)})
    text = text_of(await ask(shell, "{big}", "--budget 500"))
    assert len(text) <= 540 and text.endswith("more characters cut]")
    session_for(shell).set_defaults(type(session_for(shell).defaults)(budget=300))
    assert len(text_of(await ask(shell, "{big}"))) <= 340  # a default budget applies too


async def test_plain_prompts_stay_plain_text(shell: Any) -> None:
    shell.user_ns["city"] = "Paris"
    prompt = await ask(shell, "Weather in {city}?")
    assert prompt == Message.user("Weather in Paris?")


async def test_in_out_and_err_read_the_cells(shell: Any) -> None:
    first = await run(shell, "x = 21\nx * 2")
    n = first.execution_count
    await run(shell, "pd_frame = __import__('pandas').DataFrame({'a': [1, 2, 3]})\npd_frame")
    failed = await run(shell, "def f():\n    return 1 / 0\nf()")
    assert failed.error_in_exec is not None
    text = text_of(
        await ask(
            shell,
            f"Code: {{In[{n}]}}\nOut: {{Out[{n}]}}\nLast out: {{Out[-1]}}\nError:\n{{Err[-1]}}",
        )
    )
    lines = text.splitlines()
    assert lines[0:2] == ["Code: x = 21", "x * 2"]
    assert lines[2] == "Out: 42"
    assert lines[3] == "Last out: pandas DataFrame: 3 rows x 1 column"  # rendered, not str()
    error = text[text.index("Error:") :]
    assert "ZeroDivisionError: division by zero" in error
    assert "return 1 / 0" in error and "\x1b[" not in error  # IPython's traceback, no colours
    # -1 is the cell before this one, not this %%agent cell itself.
    await run(shell, "marker = 'the cell before'")
    assert text_of(await ask(shell, "previous: {In[-1]}")) == "previous: marker = 'the cell before'"


async def test_cell_references_come_from_ipython_not_from_rebound_names(shell: Any) -> None:
    ran = await run(shell, "'the real output'")
    shell.user_ns["Out"] = {ran.execution_count: "a fake"}
    shell.user_ns["In"] = ["fake"] * 1000
    n = ran.execution_count
    text = text_of(await ask(shell, f"{{Out[{n}]}} / {{In[{n}]}}"))
    assert text == "the real output / 'the real output'"


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ("{Out[99999]}", r"cell 99999 has no output \(cells with an output: (\d+, )*\d+\)$"),
        ("{Err[99999]}", r"cell 99999 has no traceback \((cells with a traceback|no cell has)"),
        ("{In[-99999]}", r"there are \d+ entries before this cell \(cells with an input: "),
    ],
)
async def test_a_missing_cell_entry_is_a_usage_error(shell: Any, body: str, message: str) -> None:
    await run(shell, "1 + 1")
    shell.user_ns["m"] = ScriptedModel([])
    result = await run(shell, f"%%agent -m m --no-widget\n{body}")
    assert isinstance(result.error_in_exec, UsageError)
    text = str(result.error_in_exec)
    assert text.startswith(f"{body} in the prompt: ")
    assert re.search(message, text), text


def test_only_exact_cell_references_are_fields() -> None:
    def cells(kind: str, index: int) -> Any:
        return f"<{kind} {index}>"

    typed = [
        '{"In": [1]}',
        "{In[x]}",
        "{In[1].text}",
        "{In[1:2]}",
        "{ In[1] }",
        "{In [1]}",
        "{Out['a']}",
        "{Err[--1]}",
        "{Inn[1]}",
        "{in[1]}",
        "{_oh[1]}",
        "{Out[1]()}",
    ]
    for text in typed:
        assert interpolate(text, {"In": [], "Out": {}}, cells=cells) == text
    assert interpolate("{{In[1]}}", {}, cells=cells) == "{In[1]}"  # escaped, as {{x}} is
    assert interpolate("{In[1]} {Out[-2]} {Err[0]}", {}, cells=cells) == "<In 1> <Out -2> <Err 0>"
    assert interpolate("{In[1]}", {}) == "{In[1]}"  # no cells reader (not IPython): as typed


async def test_attachments_follow_the_text(shell: Any, tmp_path: Path) -> None:
    (tmp_path / "report.pdf").write_bytes(b"%PDF-1.4\n%%EOF\n")
    (tmp_path / "data.csv").write_text("a,b\n1,2\n")
    png = tmp_path / "chart.png"
    png.write_bytes(
        base64.b64decode(
            "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg=="
        )
    )
    prompt = await ask(
        shell,
        "Summarise these.",
        f"-a {tmp_path / 'report.pdf'} --attach {tmp_path / 'data.csv'} -a {png}",
    )
    assert text_of(prompt).splitlines() == [
        "Summarise these.",
        "",
        "[attached: report.pdf (PDF document, 15 bytes)]",
        "[attached: data.csv (text, 8 characters)]",
        "[attached: chart.png (image, 1x1)]",
    ]
    assert [type(p).__name__ for p in prompt.content] == [
        "Text",
        "DocumentContent",
        "DocumentContent",
        "Image",
    ]
    assert isinstance(prompt.content[1], DocumentContent) and prompt.content[1].media_type == "pdf"


@pytest.mark.parametrize(
    ("flags", "message"),
    [
        ("-a /no/such/file.png", "cannot attach '/no/such/file.png': no such file"),
        (
            "-a ask",
            "-a attaches a file (there is no file 'ask'); the approval policy is --approve ask",
        ),
        ("--budget 50", "--budget is characters per object, at least 200; got 50"),
    ],
)
async def test_attachment_and_budget_mistakes_are_usage_errors(
    shell: Any, flags: str, message: str
) -> None:
    shell.user_ns["m"] = ScriptedModel([])
    result = await run(shell, f"%%agent -m m --no-widget {flags}\nhi")
    assert isinstance(result.error_in_exec, UsageError)
    assert message in str(result.error_in_exec)
    with pytest.raises(UsageError, match="-a attaches a file to one %%agent cell"):
        shell.run_line_magic("agent", "defaults -a notes.txt")


async def test_kernel_tools_in_a_cell_and_run_python_asks_even_under_auto(
    shell: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    def script() -> ScriptedModel:
        return ScriptedModel(
            [
                [
                    tool_call("list_variables", id="c0"),
                    tool_call("run_python", {"code": "answer = sum(prices)"}, id="c1"),
                    final(),
                ],
                ["Done.", final()],
            ]
        )

    shell.user_ns.update(prices=[3, 4, 5], m=script())
    await run(shell, "%%agent -m m --kernel-tools --approve auto --no-widget --new\nTotal?")
    out = capsys.readouterr().out
    listed = shell.user_ns["agent_history"][2].content[0].content[0].text
    assert "prices: list — 3 items: [3, 4, 5]" in listed  # list_variables ran without asking
    assert "No notebook front end could approve 'run_python', so it was skipped" in out
    assert "answer" not in shell.user_ns
    shell.user_ns["m"] = script()
    flags = "--kernel-tools --approve auto --approve-tool run_python=auto --no-widget --new"
    await run(shell, f"%%agent -m m {flags}\nTotal?")
    assert shell.user_ns.pop("answer") == 12
    names = [
        t.name
        for t in session_for(shell)
        .build_agent(parse_cell_line("-m m --kernel-tools"), shell.user_ns)
        .tools
    ]
    assert names == ["list_variables", "inspect_variable", "run_python"]


async def test_unnumbered_cells_count_back_through_the_cells_run_since_loading(shell: Any) -> None:
    """nbval runs every cell with store_history=False: IPython keeps none of them, rig_nb does."""

    async def unnumbered(source: str) -> Any:
        """As ipykernel runs a cell nbval sends: run_cell_async, then the post_run_cell event."""
        result = await shell.run_cell_async(source, transformed_cell=shell.transform_cell(source))
        shell.events.trigger("post_run_cell", result)
        return result

    await unnumbered("value = 6 * 7\nvalue")
    await unnumbered("{}['missing']")
    await unnumbered("note = 'last cell'")
    model = shell.user_ns["m"] = ScriptedModel([["ok", final()]])
    ran = await unnumbered("%%agent -m m --new --no-widget\n{In[-1]} | {Out[-1]} | {Err[-1]}")
    assert ran.error_in_exec is None, ran.error_in_exec
    text = model.requests[0].chat_history[-1].content[0].text
    code, output, error = text.split(" | ")
    assert code == "note = 'last cell'" and output == "42"
    assert "KeyError: 'missing'" in error and "\x1b[" not in error
    shell.run_line_magic("reload_ext", "rig_nb")  # one log, one event handler
    handlers = [h for h in shell.events.callbacks["post_run_cell"] if "CellLog" in repr(h)]
    assert len(handlers) == 1
    shell.user_ns["m"] = ScriptedModel([])
    missing = await unnumbered("%%agent -m m --no-widget\n{Err[-1]}")
    assert "there are 0 entries with a traceback before this cell" in str(missing.error_in_exec)
