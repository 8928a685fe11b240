"""The view-state protocol is one: rig_nb/widgets/_protocol.py (TypedDicts) and the JSDoc typedefs
of js/src/protocol.js have the same names, keys and literal values; the reducer builds it."""

from __future__ import annotations

import re
import types
import typing
from pathlib import Path

from rig_nb import (
    FinalResponse,
    StreamAssistantItem,
    StreamedText,
    StreamedToolCall,
    StreamedToolResult,
    StreamUserItem,
    Text,
    ToolCall,
    ToolFunction,
    ToolResult,
    Usage,
)
from rig_nb.widgets import _protocol as protocol
from rig_nb.widgets._reducer import ViewState

PROTOCOL_JS = Path(__file__).resolve().parents[2] / "js" / "src" / "protocol.js"


def _closing(text: str, start: int) -> int:
    """The index of the brace that closes the one at `start`."""
    depth = 0
    for index in range(start, len(text)):
        depth += {"{": 1, "}": -1}.get(text[index], 0)
        if depth == 0:
            return index
    raise AssertionError(f"unclosed brace: {text[start : start + 40]}")


def _typedefs(source: str) -> dict[str, str]:
    """`{name: type expression}` of every `@typedef {type} name`, with `{object}`'s properties
    turned into an object literal (`{a: T, [b]: T}` -> `{a: x, b?: x}`)."""
    found: dict[str, str] = {}
    for comment in re.findall(r"/\*\*(.*?)\*/", source, re.DOTALL):
        text = re.sub(r"^\s*\* ?", "", comment, flags=re.MULTILINE)
        for match in re.finditer(r"@typedef\s+(?=\{)", text):
            end = _closing(text, match.end())
            expression = text[match.end() + 1 : end].strip()
            name = re.match(r"\s*(\w+)", text[end + 1 :])
            assert name, text[end : end + 40]
            if expression == "object":
                props = re.findall(r"@property\s+\{[^}]*\}\s+\[?(\w+)(\]?)", text[end:])
                expression = "{" + ", ".join(f"{p}{'?' if o else ''}: x" for p, o in props) + "}"
            found[name.group(1)] = expression
    return found


def _split(expression: str, separator: str) -> list[str]:
    """Split at top-level separators (not inside braces)."""
    parts, depth, current = [], 0, ""
    for char in expression:
        depth += {"{": 1, "}": -1}.get(char, 0)
        if char == separator and depth == 0:
            parts.append(current.strip())
            current = ""
        else:
            current += char
    return [*parts, current.strip()]


def _keys(expression: str, defs: dict[str, str]) -> set[str]:
    """The keys of an object type: a literal, a name, an intersection or a union of them."""
    for separator in "|&":
        parts = _split(expression, separator)
        if len(parts) > 1:
            return set().union(*(_keys(p, defs) for p in parts))
    if expression.startswith("{"):
        return set(re.findall(r"(\w+)\??\s*:", expression[1:-1]))
    return _keys(defs[expression], defs)


def test_every_python_protocol_type_has_its_jsdoc_twin() -> None:
    defs = _typedefs(PROTOCOL_JS.read_text())
    assert {"ViewState", "ToolBlock", "FrontEndMessage"} <= set(defs)  # the parser works
    for name in protocol.__all__:
        assert name in defs, f"js/src/protocol.js has no @typedef for {name}"
        py = getattr(protocol, name)
        js = defs[name]
        if typing.is_typeddict(py):
            assert _keys(js, defs) == set(py.__annotations__), name
        elif typing.get_origin(py) is typing.Literal:
            values = {v.strip().strip('"') for v in _split(js, "|")}
            assert values == set(typing.get_args(py)), name
        else:
            assert isinstance(py, types.UnionType), name
            assert [p for p in _split(js, "|")] == [t.__name__ for t in typing.get_args(py)], name


def test_the_checker_sees_a_missing_or_extra_key() -> None:
    defs = _typedefs(
        "/** @typedef {object} A\n * @property {string} x\n * @property {number} [y] */\n"
        "/** @typedef {A & {z: number}} B */\n/** @typedef {{p: string} | B} C */"
    )
    assert _keys(defs["A"], defs) == {"x", "y"}
    assert _keys(defs["B"], defs) == {"x", "y", "z"}
    assert _keys(defs["C"], defs) == {"p", "x", "y", "z"}


def test_the_reducer_builds_exactly_the_protocols_keys() -> None:
    view = ViewState("q")
    call = ToolCall(id="t", function=ToolFunction(name="f"))
    view.apply(StreamAssistantItem(content=StreamedText(text="hi")))
    view.apply(StreamAssistantItem(content=StreamedToolCall(tool_call=call, internal_call_id="i")))
    result = ToolResult(
        id="t", content=[Text(text="Toolset error: ToolCallError: ToolCallError: x")]
    )
    view.apply(
        StreamUserItem(
            content=StreamedToolResult(
                tool_result=result, internal_call_id="i", error="ToolCallError: x"
            )
        )
    )
    view.apply(FinalResponse(response="hi", aggregated_usage=Usage(input_tokens=1)))
    state = view.snapshot()
    assert set(state) == set(protocol.ViewState.__annotations__)
    text, card = state["blocks"]
    assert set(text) == set(protocol.TextBlock.__annotations__)
    assert set(card) == set(protocol.ToolBlock.__annotations__)
    assert (card["status"], card["failed"], card["decision"]) == ("error", True, "ToolCallError: x")
    assert card["result"] is not None
    assert card["result"]["text"] == "Toolset error: ToolCallError: ToolCallError: x"
    assert state["usage"]["total"] is not None
    assert set(state["usage"]["total"]) == set(protocol.Usage.__annotations__)
