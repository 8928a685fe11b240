"""Tools: schemas from signatures, validation, execution, error texts (T46-T48)."""

import asyncio
import threading
from dataclasses import dataclass
from typing import Literal

import pytest
from pydantic import BaseModel

from rig_nb import Agent, StreamUserItem, Text, ToolServerError, ToolSet, UserError, tool
from rig_nb.core import FunctionTool
from rig_nb.testing import ScriptedModel, final, tool_call

pytestmark = pytest.mark.anyio


class Point(BaseModel):
    x: int
    y: int


@tool
def weather(city: str, unit: Literal["C", "F"] = "C", days: int = 1) -> dict:
    """Current weather for a city.

    More detail on a second paragraph.

    Args:
        city: The city's name,
            e.g. "Paris".
        unit: Temperature unit.
        days (int): How many days.

    Returns:
        A forecast.
    """
    return {"city": city, "unit": unit, "days": days}


def test_schema_from_type_hints_and_google_docstring() -> None:
    definition = weather.definition()
    assert definition.name == "weather"
    assert (
        definition.description
        == "Current weather for a city.\n\nMore detail on a second paragraph."
    )
    assert definition.parameters == {
        "type": "object",
        "properties": {
            "city": {"type": "string", "description": 'The city\'s name, e.g. "Paris".'},
            "unit": {
                "enum": ["C", "F"],
                "type": "string",
                "default": "C",
                "description": "Temperature unit.",
            },
            "days": {"type": "integer", "default": 1, "description": "How many days."},
        },
        "required": ["city"],
    }


def test_sphinx_docstring_nested_models_and_a_property_named_title() -> None:
    @tool(name="plot", description="Plot a point.")
    def plot_point(point: Point, title: str) -> str:
        """Ignored.

        :param point: Where.
        :param str title: The caption.
        """
        return title

    schema = plot_point.definition().parameters
    assert plot_point.name == "plot"
    assert plot_point.description == "Plot a point."
    assert set(schema["properties"]) == {"point", "title"}
    assert schema["properties"]["title"] == {"type": "string", "description": "The caption."}
    assert schema["properties"]["point"] == {"$ref": "#/$defs/Point", "description": "Where."}
    assert schema["$defs"]["Point"] == {
        "type": "object",
        "properties": {"x": {"type": "integer"}, "y": {"type": "integer"}},
        "required": ["x", "y"],
    }


def test_tools_stay_callable_and_bad_definitions_are_clear() -> None:
    assert weather("Rome") == {"city": "Rome", "unit": "C", "days": 1}
    with pytest.raises(UserError, match=r"takes \*args"):
        tool(lambda *args: None, name="varargs")
    with pytest.raises(UserError, match="not valid"):
        tool(lambda: None)  # name "<lambda>"
    with pytest.raises(UserError, match="two tools are named 'weather'"):
        ToolSet([weather, weather])


async def test_t46_arguments_reach_the_tool_as_compact_json_or_raw_string() -> None:
    seen: list[str] = []

    class Raw(FunctionTool):
        async def call(self, args: str) -> str:
            seen.append(args)
            return "ok"

    raw = Raw(lambda x=0, é="": None, name="raw")
    model = ScriptedModel(
        [
            [tool_call("raw", {"x": 1, "é": "ü"}), tool_call("raw", '{"x":1}', id="s"), final()],
            ["done", final()],
        ]
    )
    await Agent(model, tools=[raw]).stream_prompt("p").multi_turn(1)
    assert seen == ['{"x":1,"é":"ü"}', '{"x":1}']


async def test_t47_error_texts_reach_the_model_and_the_loop_goes_on() -> None:
    @tool
    def explode() -> str:
        """Fail."""
        raise RuntimeError("boom")

    model = ScriptedModel(
        [
            [
                tool_call("missing_tool", id="m"),
                tool_call("explode", id="e"),
                tool_call("weather", {"days": "x"}, id="w"),
                final(),
            ],
            ["recovered", final()],
        ]
    )
    items = [
        i async for i in Agent(model, tools=[explode, weather]).stream_prompt("p").multi_turn(1)
    ]
    results = [i.content.tool_result.content[0] for i in items if isinstance(i, StreamUserItem)]
    assert results[0] == Text(text="Toolset error: ToolNotFoundError: missing_tool")
    assert results[1] == Text(text="Toolset error: ToolCallError: ToolCallError: boom")
    assert isinstance(results[2], Text)
    assert results[2].text == (
        "Toolset error: ToolCallError: JsonError: invalid arguments for weather: "
        "city: Field required; days: Input should be a valid integer, "
        "unable to parse string as an integer"
    )
    assert model.calls == 2


async def test_t48_outputs_are_serialized() -> None:
    @dataclass
    class Box:
        size: int

    outputs = {
        "s": "hi",
        "d": {"a": 1},
        "n": 5,
        "m": Point(x=1, y=2),
        "b": Box(3),
        "u": "é",
        "none": None,
    }
    tools = ToolSet()
    for name, value in outputs.items():
        tools.add(FunctionTool(lambda v=value: v, name=f"t_{name}"))
    got = {name: await tools.call_tool(f"t_{name}", "{}") for name in outputs}
    assert got == {
        "s": "hi",
        "d": '{"a":1}',
        "n": "5",
        "m": '{"x":1,"y":2}',
        "b": '{"size":3}',
        "u": "é",
        "none": "null",
    }


async def test_bad_argument_json_is_reported_clearly() -> None:
    tools = ToolSet([weather])
    with pytest.raises(ToolServerError, match="JsonError: arguments of weather are not valid JSON"):
        await tools.call_tool("weather", "{nope")
    with pytest.raises(
        ToolServerError, match=r"JsonError: arguments of weather must be a JSON object, got \[1\]"
    ):
        await tools.call_tool("weather", "[1]")
    assert (
        await tools.call_tool("weather", '{"city": "Oslo", "days": "3"}')
        == '{"city":"Oslo","unit":"C","days":3}'
    )


async def test_sync_tools_run_off_the_event_loop_and_async_tools_on_it() -> None:
    threads: dict[str, int] = {}

    @tool
    def blocking() -> str:
        """Sync."""
        threads["sync"] = threading.get_ident()
        return "s"

    @tool
    async def nonblocking() -> str:
        """Async."""
        threads["async"] = threading.get_ident()
        await asyncio.sleep(0)
        return "a"

    tools = ToolSet([blocking, nonblocking])
    assert await tools.call_tool("blocking", "") == "s"
    assert await tools.call_tool("nonblocking", "") == "a"
    assert threads["async"] == threading.get_ident()
    assert threads["sync"] != threading.get_ident()


def test_toolset_lookup() -> None:
    tools = ToolSet([weather])
    assert tools.names == ["weather"] and "weather" in tools and len(tools) == 1
    assert tools.get("weather") is weather and tools.get("nope") is None
    assert [d.name for d in tools.definitions()] == ["weather"]
    assert repr(weather) == "<tool weather: Current weather for a city.>"
