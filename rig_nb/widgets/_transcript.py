"""The text/plain and text/html forms of a run, for places with no widget front end.

A saved notebook on GitHub, nbconvert HTML, a terminal. Everything is escaped: no HTML from models.
The state is the widget's `state` trait: a `_protocol.ViewState`, or `{}` before any run.
"""

from __future__ import annotations

import html
import math
from collections.abc import Mapping
from typing import Any

from ._protocol import ToolBlock

__all__ = ["format_cost", "transcript_html", "transcript_text"]

_STATUS = {
    "running": "running",
    "waiting": "waiting for approval",
    "done": "done",
    "error": "error",
    "cancelled": "stopped",
}


def format_cost(cost: float) -> str:
    """Dollars, three significant digits, never in scientific notation (js/src/state.js too)."""
    if cost <= 0:
        return "$0"
    return f"${cost:.{max(2, 2 - math.floor(math.log10(cost)))}f}"


def _usage_line(report: Mapping[str, Any]) -> str:
    usage = report.get("total")
    if not usage:
        return ""
    line = (
        f"tokens: {usage['input_tokens']} in, {usage['output_tokens']} out, "
        f"{usage['total_tokens']} total"
    )
    cost = report.get("cost")
    if isinstance(cost, int | float):
        line += f", {format_cost(cost)}"
    elif report.get("cost_note"):
        line += ", cost unknown"
    return line


def _tool_line(block: ToolBlock) -> str:
    args = " ".join(str(block["args"]).split())
    line = f"[tool {block['name']}({args}) - {block['status']}"
    if block.get("decision"):
        line += f": {block['decision']}"
    line += "]"
    result = block.get("result")
    if result:
        text = " ".join(str(result["text"]).split())
        line += f"\n  -> {text[:500]}"
        if result["images"]:
            line += f" (+{len(result['images'])} image(s))"
    return line


def transcript_text(state: Mapping[str, Any]) -> str:
    """The run as plain text (what nbval compares)."""
    lines: list[str] = []
    for block in state.get("blocks", []):
        if block["kind"] == "text":
            lines.append(block["text"])
        elif block["kind"] == "reasoning":
            lines.append(f"[reasoning] {block['text']}")
        else:
            lines.append(_tool_line(block))
    lines += [f"[note] {n}" for n in state.get("notices", [])]
    if state.get("error"):
        lines.append(f"[{_STATUS.get(state['status'], state['status'])}] {state['error']}")
    usage = _usage_line(state.get("usage", {}))
    if usage:
        lines.append(f"[{usage}]")
    return "\n".join(lines)


def transcript_html(state: Mapping[str, Any]) -> str:
    """The run as escaped HTML, styled with JupyterLab's theme variables where they exist."""
    parts: list[str] = []
    for block in state.get("blocks", []):
        body = html.escape(block["text"] if block["kind"] != "tool" else _tool_line(block))
        if block["kind"] == "text":
            parts.append(f'<div style="white-space:pre-wrap">{body}</div>')
        elif block["kind"] == "reasoning":
            parts.append(
                "<details><summary>reasoning</summary>"
                f'<div style="white-space:pre-wrap;opacity:.75">{body}</div></details>'
            )
        else:
            parts.append(
                '<pre style="margin:4px 0;padding:4px 6px;border:1px solid '
                f'var(--jp-border-color2,#ccc);border-radius:4px">{body}</pre>'
            )
    for notice in state.get("notices", []):
        parts.append(f"<div><em>{html.escape(notice)}</em></div>")
    if state.get("error"):
        parts.append(
            '<div style="color:var(--jp-error-color1,#c62828);font-weight:600">'
            f"{html.escape(str(state['error']))}</div>"
        )
    usage = _usage_line(state.get("usage", {}))
    if usage:
        parts.append(f'<div style="opacity:.7;font-size:90%">{html.escape(usage)}</div>')
    return '<div class="rig-nb-transcript">' + "".join(parts) + "</div>"
