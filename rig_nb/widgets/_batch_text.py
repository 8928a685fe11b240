"""A batch view's state: made from the batch's rows, and shown as text and as sanitised HTML.

The state holds counts and a capped sample of failures (each text capped too), so it stays small
however many rows run; `batch_text` / `batch_html` show it in terminals, saved notebooks, nbconvert.

The HTML is built from escaped text only (`html.escape` on every value), is not typeset as math
by JupyterLab (`mathjax_ignore`), and needs no script:
the failures open with `<details>`, so a notebook saved without widget state, or exported by
nbconvert, still shows what ran, what failed and why.
"""

from __future__ import annotations

from collections.abc import Mapping
from html import escape
from typing import Any

from ..batch import RowResult
from ..core import message_text
from ._transcript import format_cost

__all__ = [
    "SAMPLE",
    "batch_html",
    "batch_text",
    "failure_entry",
    "format_duration",
    "initial_state",
    "stats_line",
    "text_cap",
]

SAMPLE = 20
"""Failed rows shown with their prompt and conversation (the rest are counted)."""
_TEXT_CAP = 4000
"""Characters of a prompt, an argument list or a message kept in the view's state."""


def text_cap(text: str) -> str:
    """`text`, cut at 4,000 characters (saying how long it was)."""
    return text if len(text) <= _TEXT_CAP else text[:_TEXT_CAP] + f"… ({len(text):,} characters)"


def failure_entry(row: RowResult) -> dict[str, Any]:
    """A failed row as the view shows it: where, what, the prompt and the conversation."""
    message = str(row.error) if row.error is not None else "failed"
    history = row.history or []
    return {
        "index": row.index,
        "row": text_cap(str(row.row)),
        "error": row.error_type or "Error",
        "message": text_cap(message),
        "attempts": row.attempts,
        "prompt": text_cap(row.prompt),
        "history": [{"role": m.role, "text": text_cap(message_text(m))} for m in history[-12:]],
    }


def initial_state(title: str, out: str) -> dict[str, Any]:
    """The state before the batch starts (every key the front end reads)."""
    return {
        "title": title,
        "out": out,
        "status": "running",
        "total": None,
        "done": 0,
        "failed": 0,
        "running": 0,
        "cached": 0,
        "input_tokens": 0,
        "output_tokens": 0,
        "cost": None,
        "elapsed": 0.0,
        "rows_per_second": 0.0,
        "eta": None,
        "failures": [],
        "failures_more": 0,
        "approvals": [],
        "decisions": [],
        "notices": [],
        "banner": None,
    }


def format_duration(seconds: float) -> str:
    """`45s`, `2m 20s`, `1h 02m` (the front end writes the same)."""
    total = max(0, round(seconds))
    if total < 60:
        return f"{total}s"
    minutes, secs = divmod(total, 60)
    if minutes < 60:
        return f"{minutes}m {secs:02d}s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours}h {minutes:02d}m"


def stats_line(state: Mapping[str, Any]) -> str:
    """`412 / 1,000 rows · 3 failed · 8 running · ... · ETA 2m 20s · 1m 38s elapsed`.

    The same line as the live view's (js/src/batch/view.js `statsLine`): rows answered of the
    total, then failed and running ones, tokens, cost, pace, ETA while it runs, elapsed time.
    """
    done, total = state["done"], state["total"]
    parts = [f"{done:,} / {total:,} rows" if total is not None else f"{done:,} rows"]
    parts += [f"{state['failed']:,} failed", f"{state['running']:,} running"]
    if state["cached"]:
        parts.append(f"{state['cached']:,} cached")
    parts += [f"{state['input_tokens']:,} in", f"{state['output_tokens']:,} out tokens"]
    if state["cost"] is not None:
        parts.append(format_cost(state["cost"]))
    parts.append(f"{state['rows_per_second']:.1f} rows/s")
    if state["eta"] is not None and state["status"] in ("running", "stopping"):
        parts.append(f"ETA {format_duration(state['eta'])}")
    parts.append(f"{format_duration(state['elapsed'])} elapsed")
    return " · ".join(parts)


def _decision_text(entry: Mapping[str, Any]) -> str:
    tool, decision, by = entry["tool"], entry["decision"], entry["by"]
    if by == "headless":
        return f"{tool}: {decision} for every row (nobody to ask: headless)"
    if by == "timeout":
        return f"{tool}: denied for every row (no answer in time)"
    return f"{tool}: {decision} for every row by {'you' if by == 'you' else 'policy'}"


def batch_text(state: Mapping[str, Any]) -> str:
    """The state as plain text: the title and status, the stats, decisions, failures, ending."""
    lines = [f"rig_nb batch · {state['title']} · {state['status']}", stats_line(state)]
    lines += [_decision_text(d) for d in state["decisions"]]
    lines += [f"waiting: {a['tool']} (approve or deny for every row)" for a in state["approvals"]]
    lines += list(state["notices"])
    for failure in state["failures"]:
        first = failure["message"].splitlines()[0] if failure["message"] else ""
        lines.append(f"failed: row {failure['row']} · {failure['error']}: {first}")
    if state["failures_more"]:
        lines.append(
            f"... and {state['failures_more']:,} more in "
            f"{state['out']}[{state['out']}.status == 'failed']"
        )
    if state["banner"]:
        lines.append(state["banner"])
    return "\n".join(lines)


_STYLE = (
    "font-family:var(--jp-ui-font-family,system-ui,sans-serif);font-size:13px;"
    "border:1px solid var(--jp-border-color2,#ccc);border-radius:4px;padding:8px 10px"
)


def batch_html(state: Mapping[str, Any]) -> str:
    """The state as HTML: escaped text in a few tags, failures in `<details>`; no script."""
    # `mathjax_ignore`: JupyterLab typesets `$...$` in HTML outputs; a row's text is not math.
    out = [f'<div class="rig-batch-saved mathjax_ignore tex2jax_ignore" style="{_STYLE}">']
    out.append(
        f"<div><b>rig_nb batch</b> · {escape(state['title'])} · {escape(state['status'])}</div>"
    )
    out.append(f"<div>{escape(stats_line(state))}</div>")
    for entry in state["decisions"]:
        out.append(f"<div>{escape(_decision_text(entry))}</div>")
    for notice in state["notices"]:
        out.append(f"<div>{escape(notice)}</div>")
    if state["failures"]:
        count = len(state["failures"]) + state["failures_more"]
        out.append(f"<div><b>Failures ({count:,})</b></div>")
    for failure in state["failures"]:
        first = failure["message"].splitlines()[0] if failure["message"] else ""
        summary = f"row {failure['row']} · {failure['error']}: {first}"
        history = "\n".join(f"{m['role']}: {m['text']}" for m in failure["history"])
        out.append(
            f"<details><summary>{escape(summary)}</summary>"
            f'<pre style="white-space:pre-wrap">{escape(failure["message"])}\n\n'
            f"attempts: {failure['attempts']}\nprompt: {escape(failure['prompt'])}\n\n"
            f"{escape(history)}</pre></details>"
        )
    if state["failures_more"]:
        more = f"and {state['failures_more']:,} more in {state['out']}"
        out.append(f"<div>{escape(more)}</div>")
    if state["banner"]:
        out.append(f"<div><b>{escape(state['banner'])}</b></div>")
    out.append("</div>")
    return "".join(out)
