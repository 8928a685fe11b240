"""The text/plain and text/html forms of a run, for places with no widget front end.

A saved notebook reopened without widget state, nbconvert HTML, GitHub, a terminal. The answer's
markdown is rendered and sanitised (`_markdown.py`); every other string is escaped.
The state is the widget's `state` trait: a `_protocol.ViewState`, or `{}` before any run.
"""

from __future__ import annotations

import base64
import html
import math
from collections.abc import Mapping
from typing import Any, cast

from ._markdown import render_markdown, sanitize_html
from ._protocol import Decision, ToolBlock

__all__ = [
    "DECISION_LABELS",
    "decision_text",
    "format_cost",
    "transcript_html",
    "transcript_text",
]

DECISION_LABELS = {
    "approved": "approved by you",
    "auto": "auto policy",
    "always_allowed": "always allowed",
    "denied": "denied by the approval policy",
    "skipped": "skipped by you",
    "terminated": "terminated",
    "timeout": "no answer in time",
    "headless": "no front end: headless policy",
    "hook": "your hook",
    "not_run": "not run",
}
"""What a card says about each decision kind (js/src/blocks.js has the same words)."""


def decision_text(decision: Decision | None) -> str:
    """A card's decision as words: `skipped by you: keep it`."""
    if not decision:
        return ""
    label = DECISION_LABELS.get(decision["kind"], decision["kind"])
    return f"{label}: {decision['reason']}" if decision["reason"] else label


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
    """The usage and the cost, or "" when the provider reported none (never "0 in, 0 out")."""
    usage = report.get("total")
    if not usage or not (usage["input_tokens"] or usage["output_tokens"] or usage["total_tokens"]):
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
    why = block.get("error") or decision_text(block.get("decision"))
    if why:
        line += f": {why}"
    line += "]"
    if block.get("ran_args"):
        line += f"\n  ran with: {' '.join(str(block['ran_args']).split())}"
    result = block.get("result")
    if result:
        text = " ".join(str(result["text"]).split())
        line += f"\n  -> {text[:500]}"
        if result["images"]:
            line += f" (+{len(result['images'])} image(s))"
        rich = result.get("rich")
        if rich:
            shown = "an HTML table" if rich["mime"] == "text/html" else f"an image ({rich['mime']})"
            line += f"\n  (shown to people as {shown})"
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


_BOX = "border:1px solid var(--jp-border-color2,#ddd);border-radius:4px"
_PRE = (
    "white-space:pre-wrap;overflow-wrap:anywhere;margin:4px 0;padding:4px 6px;"
    "background:var(--jp-cell-editor-background,#f7f7f7);border-radius:4px"
)
_RASTER = ("image/png", "image/jpeg", "image/gif", "image/webp")


def _esc(value: object) -> str:
    return html.escape(str(value), quote=True)


def _images(images: list[Any]) -> str:
    """Raster images as data: URLs built here from their bytes (never from model markup)."""
    out: list[str] = []
    for raw in images:
        image: Mapping[str, Any] = cast(Mapping[str, Any], raw) if isinstance(raw, Mapping) else {}
        data, mime, url = image.get("data"), image.get("mime"), str(image.get("url", ""))
        if isinstance(data, bytes | bytearray) and data and mime in _RASTER:
            encoded = base64.b64encode(bytes(data)).decode()
            out.append(
                f'<img src="data:{mime};base64,{encoded}" alt="tool image" '
                'style="max-width:100%;max-height:320px;display:block;margin-top:4px">'
            )
        elif url.startswith(("https://", "http://")):
            out.append(f'<div><a href="{_esc(url)}">[image: {_esc(url)}]</a></div>')
        else:
            out.append("<div><em>[image not shown]</em></div>")
    return "".join(out)


def _args(args: object, code: Mapping[str, Any] | None) -> str:
    """A card's arguments, or the argument it shows as code (escaped, with its language)."""
    if not code:
        return f'<pre style="{_PRE}">{_esc(args)}</pre>'
    language = str(code.get("language") or "code")
    return (
        f'<div style="font-size:80%;opacity:.75">{_esc(language)}</div>'
        f'<pre style="{_PRE}"><code>{_esc(code.get("text", ""))}</code></pre>'
    )


def _rich(rich: Mapping[str, Any]) -> str:
    """A result's rich view: its HTML sanitised (`sanitize_html`), or its image."""
    if rich.get("mime") == "text/html":
        return (
            '<div style="overflow:auto;max-height:360px;margin:4px 0">'
            f"{sanitize_html(str(rich.get('data', '')))}</div>"
        )
    return _images([rich])


def _tool_html(block: Mapping[str, Any]) -> str:
    why = block.get("error") or decision_text(block.get("decision"))
    status = _esc(block["status"]) + (f": {_esc(why)}" if why else "")
    parts = [
        f'<div style="{_BOX};padding:6px 8px;margin:6px 0">',
        f"<div><strong>{_esc(block['name'] or '…')}</strong> "
        f'<span style="opacity:.8;font-size:90%">{status}</span></div>',
    ]
    if block.get("ran_args"):
        parts.append('<div style="font-size:85%;opacity:.8">the model asked for</div>')
        parts.append(_args(block["args"], block.get("code")))
        parts.append('<div style="font-size:85%;opacity:.8">ran with</div>')
        parts.append(_args(block["ran_args"], block.get("ran_code")))
    elif block.get("args"):
        parts.append(_args(block["args"], block.get("code")))
    result = block.get("result")
    if result:
        parts.append("<details open><summary>result</summary>")
        rich = result.get("rich")
        if rich:
            parts.append(_rich(rich))
        if result.get("text"):
            text = f'<pre style="{_PRE}">{_esc(result["text"])}</pre>'
            # With a rich view, what the model read stays one click away (as in the live view).
            parts.append(
                f"<details><summary>what the model got</summary>{text}</details>" if rich else text
            )
        parts.append(_images(list(result.get("images") or [])))
        parts.append("</details>")
    parts.append("</div>")
    return "".join(parts)


def transcript_html(state: Mapping[str, Any], *, view_id: str = "") -> str:
    """The run as sanitised HTML, styled with JupyterLab's theme variables where they exist.

    The prompt, the answer's markdown rendered, reasoning folded, tool cards, notices, the ending
    and usage. No script, no event handler, no model-made markup but what `render_markdown` keeps.
    JupyterLab's MathJax typesets the answer's formulas only (`mathjax_ignore` here, the formulas
    `mathjax_process`): not a prompt's `$HOME`, not a tool result's prices.
    """
    status = str(state.get("status", "idle"))
    parts: list[str] = [
        '<div style="font-weight:600;opacity:.8;margin-bottom:4px">'
        f"rig_nb agent · {_esc(_STATUS.get(status, status))}</div>"
    ]
    if state.get("system"):
        parts.append(
            "<details><summary>System prompt</summary>"
            f'<div style="white-space:pre-wrap;padding:2px 8px">{_esc(state["system"])}</div>'
            "</details>"
        )
    if state.get("prompt"):
        parts.append(
            '<div style="padding:4px 8px;margin:4px 0;border-radius:4px;'
            'background:var(--jp-layout-color2,#eef3fb)"><strong>You</strong> '
            f'<span style="white-space:pre-wrap">{_esc(state["prompt"])}</span></div>'
        )
    for block in state.get("blocks", []):
        if block["kind"] == "text":
            parts.append(f'<div class="rig-md">{render_markdown(str(block["text"]))}</div>')
        elif block["kind"] == "reasoning":
            parts.append(
                "<details><summary>Reasoning</summary>"
                f'<div style="white-space:pre-wrap;opacity:.75">{_esc(block["text"])}</div>'
                "</details>"
            )
        else:
            parts.append(_tool_html(block))
    for notice in state.get("notices", []):
        parts.append(f"<div><em>{_esc(notice)}</em></div>")
    if state.get("error"):
        parts.append(
            '<div style="color:var(--jp-error-color1,#c62828);font-weight:600">'
            f"{_esc(state['error'])}</div>"
        )
    usage = _usage_line(state.get("usage", {}))
    if usage:
        parts.append(f'<div style="opacity:.7;font-size:90%">{_esc(usage)}</div>')
    twin = f' data-rig-view="{_esc(view_id)}"' if view_id else ""
    return (
        f'<div class="rig-nb-transcript mathjax_ignore tex2jax_ignore"{twin} '
        f'style="{_BOX};padding:8px 10px;max-width:100%;'
        f'overflow-wrap:anywhere">' + "".join(parts) + "</div>"
    )
