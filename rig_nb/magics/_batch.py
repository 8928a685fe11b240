r"""`%%agent --over NAME`: the cell's prompt over every row of a table, in one live view.

```
%%agent --over tickets --out labels --concurrency 16 --cache runs/labels
Classify this ticket as bug, feature or question. Answer with the word only.
{title}
{body}
```

The cell is a template: `{column}` is the row's value (`str.format` rules; `{{`/`}}` are braces).
Over a Series or a list, `{value}` is the item (`{name}` too for a named Series); an empty cell
sends each item as the prompt. Rows do not read or change the conversation of `%%agent` cells.
The table (`agent.map`'s: a DataFrame when pandas is installed) lands in `--out`; a Stop or the
kernel's interrupt keeps the rows that finished there. Tools are decided once for the whole
batch: `ask` puts each tool to you the first time a row calls it (Approve for all rows / Deny
for all rows), `auto` and `deny` decide without asking.
"""

from __future__ import annotations

import asyncio
import sys
from typing import Any, Protocol

from IPython.core.error import UsageError
from IPython.display import display

from ..batch import map_agent
from ..core import Agent
from ..errors import RigError, UserError
from ..widgets import ApprovalPolicy, BatchView
from ..widgets._batch_text import batch_text
from ._interrupts import RunInterrupted, RunKeyboardInterrupt
from ._models import ModelCache
from ._options import CellOptions

__all__ = ["batch_inputs", "run_batch_cell", "tool_policies"]


class Session(Protocol):
    """What a batch cell needs of the kernel's `%%agent` session (`_runtime.Session`)."""

    models: ModelCache

    @property
    def out(self) -> str: ...

    def build_agent(self, options: CellOptions, namespace: dict[str, Any]) -> Agent: ...


def _module(value: object) -> str:
    return type(value).__module__.partition(".")[0]


def batch_inputs(name: str, over: Any, body: str) -> tuple[Any, Any]:
    """`(prompts, rows)` for `agent.map`, from the `--over` value and the cell's text.

    With a template, `--over` is agent.map's `rows=` (a DataFrame, a Series, dicts or values,
    `{value}` for the last two); without one, its prompts.
    """
    kind = type(over).__name__
    template = body.strip()
    frame = _module(over) in ("pandas", "polars") and kind == "DataFrame"
    if frame and not template:
        raise UsageError(
            f"%%agent --over {name}: {name} is a DataFrame; write the prompt in the cell with "
            f"its columns as {{column}} fields (columns: {', '.join(map(str, over.columns))})"
        )
    if isinstance(over, str | bytes) or not (frame or hasattr(over, "__iter__")):
        raise UsageError(
            f"%%agent --over {name}: {name} is a {kind}; pass a DataFrame, a Series or a list"
        )
    return (template, over) if template else (over, None)


def tool_policies(agent: Agent, policy: ApprovalPolicy) -> dict[str, str]:
    """The batch's approval policy: `*` the default, each tool its own (`Tool.approval` too)."""
    policies = {"*": policy.default}
    for tool in agent.tools:
        policies[tool.name] = policy.for_tool(tool.name, getattr(tool, "approval", None))
    return policies


def _title(name: str, body: str) -> str:
    first = next((line.strip() for line in body.splitlines() if line.strip()), "")
    if len(first) > 80:
        first = first[:79] + "…"
    return f"{name}: {first}" if first else name


async def run_batch_cell(
    session: Session, options: CellOptions, body: str, namespace: dict[str, Any]
) -> None:
    """Run the cell over the rows of `--over`; the table goes to `--out`, whatever the end."""
    name = options.over or ""
    if name not in namespace:
        raise UsageError(f"%%agent --over {name}: no variable named {name!r} in the namespace")
    prompts, rows = batch_inputs(name, namespace[name], body)
    agent = session.build_agent(options, namespace)
    await session.models.close_retired()
    out = options.out or session.out
    policy = ApprovalPolicy.from_env(options.approve, options.approve_tool)
    policies = tool_policies(agent, policy)
    if options.no_widget:  # nobody to ask: the headless choice decides `ask`
        policies = {k: policy.headless if v == "ask" else v for k, v in policies.items()}
    view = BatchView(title=_title(name, body), out=out, approval=policy)
    for tool_name, value in policies.items():
        if tool_name != "*" and value != "ask":
            view.note_policy(tool_name, value == "auto")
    asks = "ask" in policies.values()
    try:
        batch = map_agent(
            agent,
            prompts,
            rows,
            max_turns=options.max_turns,
            approval=policies,  # pyright: ignore[reportArgumentType]
            on_approval=view.decide if asks else None,
            **options.batch_options,
        )
    except UserError as exc:
        raise UsageError(f"%%agent --over {name}: {exc}") from None
    view.follow(batch)  # the row count shows from the first frame
    if not options.no_widget:
        display(view)
    try:
        table = await view.run(batch)
    except (asyncio.CancelledError, KeyboardInterrupt) as exc:
        namespace[out] = view.table
        finished = view.data["done"] + view.data["failed"]
        cause = (
            "a KeyboardInterrupt" if isinstance(exc, KeyboardInterrupt) else "the kernel interrupt"
        )
        text = (
            f"Interrupted: {cause} stopped the batch; {out} keeps the {finished:,} rows that "
            "finished"
        )
        if isinstance(exc, KeyboardInterrupt):
            raise RunKeyboardInterrupt(text) from None
        raise RunInterrupted(text) from None
    except RigError as exc:
        namespace["agent_error"] = exc
        print(f"rig_nb: {exc}", file=sys.stderr)  # noqa: T201
        return
    namespace[out] = table
    namespace.pop("agent_error", None)
    if options.no_widget:
        print(batch_text(view.state))  # noqa: T201
