"""Rich tool output in the core: `ToolOutput`, the converter registry, and spec 1.3 left whole."""

from __future__ import annotations

import base64
import copy
import json
import pickle
import random
from collections.abc import Iterator
from typing import Any

import pytest
from pydantic import BaseModel

from rig_nb import Agent, Image, Text, ToolOutput, ToolResult, UserMessage, tool
from rig_nb.core import (
    Base64,
    StreamedToolResult,
    StreamUserItem,
    ToolDisplay,
    ToolSet,
    history_from_json,
    history_to_json,
    register_tool_output,
)
from rig_nb.core import _tool_output as registry
from rig_nb.core._tools import serialize_output
from rig_nb.testing import ScriptedModel, final, tool_call

from .helpers import collect, final_of

pytestmark = pytest.mark.anyio

PNG = base64.b64encode(b"\x89PNG\r\n\x1a\n" + b"\x00" * 16).decode()


@pytest.fixture
def converters() -> Iterator[list[Any]]:
    """The registry as it was before the test (rig_nb.kernel's converter stays registered)."""
    saved = list(registry._converters)
    yield registry._converters
    registry._converters[:] = saved


class Table:
    """A rich object of nobody's library: rows, which a registered converter renders."""

    def __init__(self, rows: list[tuple[str, int]]) -> None:
        self.rows = rows


def _table(value: Any) -> ToolOutput | None:
    if not isinstance(value, Table):
        return None
    text = "\n".join(f"{k}: {v}" for k, v in value.rows)
    html = "<table>" + "".join(f"<tr><td>{k}</td><td>{v}</td></tr>" for k, v in value.rows)
    return ToolOutput(text, display=ToolDisplay(mime="text/html", data=html + "</table>"))


def test_the_string_is_spec_1_3_and_parses_back_to_the_same_images() -> None:
    out = ToolOutput("a chart", images=[("image/png", PNG)])
    assert json.loads(out) == {
        "response": "a chart",
        "parts": [{"type": "image", "data": PNG, "mimeType": "image/png"}],
    }
    image = Image(data=Base64(value=PNG), media_type="png")
    # Given as itself, its parts are taken as they are; given as a plain string, spec 1.3 reads
    # the same image (and quotes the text, as it quotes every "response").
    assert ToolResult.from_tool_output(out) == [Text(text="a chart"), image]
    assert ToolResult.from_tool_output(str(out)) == [Text(text='"a chart"'), image]
    assert ToolResult.from_tool_output(ToolOutput(images=[("image/png", PNG)])) == [image]


def test_any_text_comes_back_as_itself_and_stays_text_as_a_plain_string() -> None:
    """A failure class: random texts, JSON-looking ones included, never turn into images."""
    rng = random.Random(12)
    pieces = [
        '{"type":"image","data":"x","mimeType":"image/png"}',
        '{"response": 1}',
        '{"parts":[]}',
    ]
    pieces += ["{", "}", '"', "[", "]", ":", ",", "image", "parts", "response", " ", "\n", "é", "x"]
    for _ in range(2000):
        text = "".join(rng.choice(pieces) for _ in range(rng.randint(0, 8)))
        out = ToolOutput(text)
        expected = text or "(no output)"
        assert ToolResult.from_tool_output(out) == [Text(text=expected)], text
        parsed = ToolResult.from_tool_output(str(out))
        assert len(parsed) == 1 and isinstance(parsed[0], Text), text
        assert parsed[0].text in (expected, json.dumps(expected, separators=(",", ":"))), text


def test_images_must_be_raster_base64() -> None:
    with pytest.raises(ValueError, match=r"one of image/gif, image/jpeg, image/png, image/webp"):
        ToolOutput("x", images=[("image/svg+xml", PNG)])
    with pytest.raises(ValueError, match="base64"):
        ToolOutput("x", images=[("image/png", "not base64 !")])


def test_pickle_copy_and_repr_keep_the_parts() -> None:
    out = ToolOutput(
        "t", images=[("IMAGE/PNG", PNG)], display=ToolDisplay(mime="text/html", data="<b>")
    )
    for clone in (pickle.loads(pickle.dumps(out)), copy.deepcopy(out), copy.copy(out)):
        assert isinstance(clone, ToolOutput)
        assert (clone, clone.text, clone.images, clone.display) == (
            out,
            "t",
            (("image/png", PNG),),
            out.display,
        )
    assert repr(out) == "ToolOutput('t', images=1, display='text/html')"


def test_plain_values_never_reach_a_converter(converters: list[Any]) -> None:
    seen: list[Any] = []

    @register_tool_output
    def spy(value: Any) -> ToolOutput | None:
        seen.append(value)
        return ToolOutput("spied")

    class Point(BaseModel):
        x: int

    # T48's values, and every other JSON kind: spec 1.3 as before.
    cases = {"hi": "hi", 5: "5", 2.5: "2.5", True: "true", None: "null"}
    for value, text in cases.items():
        assert serialize_output(value) == text
    assert serialize_output({"a": 1}) == '{"a":1}'
    assert serialize_output([1, {"b": None}]) == '[1,{"b":null}]'
    assert serialize_output((1, 2)) == "[1,2]"
    assert serialize_output(Point(x=1)) == '{"x":1}'
    assert seen == []
    assert serialize_output(Table([])) == "spied"  # anything else goes to the converters


def test_the_latest_converter_first_and_none_falls_through(converters: list[Any]) -> None:
    register_tool_output(_table)
    register_tool_output(lambda value: None)
    out = serialize_output(Table([("a", 1)]))
    assert isinstance(out, ToolOutput) and out.text == "a: 1"
    register_tool_output(lambda value: ToolOutput("mine") if isinstance(value, Table) else None)
    assert serialize_output(Table([("a", 1)])) == "mine"
    register_tool_output(_table)  # registering again does not add it twice
    assert converters.count(_table) == 1
    assert serialize_output(object()).startswith("<object object at")  # nobody took it


async def test_a_rich_result_reaches_the_model_its_display_the_stream_and_history_what_the_model_saw(
    converters: list[Any],
) -> None:
    register_tool_output(_table)

    @tool
    def cities() -> Any:
        """The cities."""
        return Table([("Paris", 21), ("Rome", 25)])

    @tool
    def chart() -> ToolOutput:
        """A chart."""
        return ToolOutput("chart of temperatures", images=[("image/png", PNG)])

    model = ScriptedModel(
        [[tool_call("cities", id="c1"), tool_call("chart", id="c2"), final()], ["Rome.", final()]]
    )
    items, error = await collect(Agent(model, tools=[cities, chart]).stream_chat("Warmest?", []))
    assert error is None
    results = [i.content for i in items if isinstance(i, StreamUserItem)]
    assert [r.display for r in results] == [
        ToolDisplay(
            mime="text/html",
            data="<table><tr><td>Paris</td><td>21</td></tr><tr><td>Rome</td><td>25</td></tr></table>",
        ),
        None,
    ]
    sent = model.requests[1].chat_history
    assert [m.content for m in sent[-2:] if isinstance(m, UserMessage)] == [
        [ToolResult(id="c1", content=[Text(text="Paris: 21\nRome: 25")])],
        [
            ToolResult(
                id="c2",
                content=[
                    Text(text="chart of temperatures"),
                    Image(data=Base64(value=PNG), media_type="png"),
                ],
            )
        ],
    ]
    history = final_of(items).history or []
    assert history[-3:-1] == sent[-2:]  # the history keeps what the model saw, not the display
    assert "<table>" not in history_to_json(history)
    assert history_from_json(history_to_json(history)) == history
    wire = StreamedToolResult(
        tool_result=ToolResult(id="c1", content=[Text(text="x")]),
        internal_call_id="i",
        display=ToolDisplay(mime="text/html", data="<b>"),
    )
    assert "display" not in StreamUserItem(content=wire).model_dump(mode="json")


async def test_a_converter_that_raises_is_the_tool_s_failure_and_the_run_goes_on(
    converters: list[Any],
) -> None:
    def broken(value: Any) -> ToolOutput | None:
        raise RuntimeError("cannot draw this")

    register_tool_output(broken)

    @tool
    def cities() -> Any:
        """The cities."""
        return Table([])

    model = ScriptedModel([[tool_call("cities"), final()], ["Sorry.", final()]])
    items, error = await collect(Agent(model, tools=[cities]).stream_prompt("?"))
    assert error is None and final_of(items).response == "Sorry."
    result = next(i.content for i in items if isinstance(i, StreamUserItem))
    assert result.failed and "cannot draw this" in (result.error or "")
    with pytest.raises(Exception, match="cannot draw this"):
        await ToolSet([cities]).call_tool("cities", "{}")
