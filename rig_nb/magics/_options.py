"""Parsing `%%agent` / `%agent` options and resolving names in the user's namespace.

Every mistake becomes an IPython `UsageError`: one line, no traceback.
"""

from __future__ import annotations

import re
import shlex
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from IPython.core.error import UsageError
from IPython.core.magic_arguments import argument, magic_arguments

from ..core import Agent, CompletionModel, FunctionTool, Tool
from ..errors import UserError
from ..kernel._variables import UNSAFE_ATTRIBUTES
from ._models import ModelCache

__all__ = ["CellOptions", "interpolate", "parse_cell_line", "resolve_model", "resolve_tools"]


@magic_arguments()
@argument("-m", "--model", help="'vendor:model' (openai:gpt-4o-mini), or a model or Agent variable")
@argument("-s", "--system", help="the system prompt, or the name of a str variable holding it")
@argument(
    "-t", "--tools", nargs="+", default=None, help="names of functions or @tools in the namespace"
)
@argument("--max-turns", type=int, default=None, help="turn budget: at most N + 2 model calls")
@argument(
    "--max-cost",
    type=float,
    default=None,
    metavar="DOLLARS",
    help="end the run when it has cost more than this many US dollars (UsageLimits.max_cost)",
)
@argument("--approve", choices=["ask", "auto", "deny"], default=None, help="tool approval policy")
@argument(
    "--approve-tool",
    action="append",
    default=[],
    metavar="TOOL=POLICY",
    help="approval policy of one tool, e.g. get_weather=auto (repeatable)",
)
@argument("--new", action="store_true", help="start a new conversation instead of continuing")
@argument("-o", "--out", default=None, help="variable that receives the FinalResponse")
@argument("--history-var", default=None, help="variable that receives the conversation")
@argument("--no-widget", action="store_true", help="stream plain text instead of the widget")
@argument(
    "--output", default=None, help="a pydantic model in the namespace: the answer is parsed into it"
)
@argument(
    "-a",
    "--attach",
    action="append",
    default=[],
    metavar="PATH",
    help="attach a file: an image, a PDF or a text file (repeatable)",
)
@argument("--budget", type=int, default=None, help="characters per object put in the prompt")
@argument(
    "--kernel-tools",
    action="store_true",
    help="give the agent list_variables, inspect_variable and run_python (asks first)",
)
@argument("--record", default=None, metavar="PATH", help="record the model's exchanges (cassette)")
@argument("--replay", default=None, metavar="PATH", help="answer from a cassette, offline, no key")
@argument(
    "--over",
    default=None,
    metavar="NAME",
    help="run the cell over every row of a DataFrame, Series or list in the namespace (a batch)",
)
@argument("--concurrency", type=int, default=None, help="with --over: rows in flight at once")
@argument("--rpm", type=float, default=None, help="with --over: model calls per minute, at most")
@argument("--tpm", type=float, default=None, help="with --over: tokens per minute, at most")
@argument("--retries", type=int, default=None, help="with --over: retries of a row that failed")
@argument(
    "--cache",
    default=None,
    metavar="DIR",
    help="with --over: a directory; a re-run redoes only the rows that failed or never ran",
)
def _agent_options(line: str) -> None:
    """%%agent [options]; the cell body is the prompt, with {name} interpolation."""


@dataclass
class CellOptions:
    """The options of one `%%agent` cell (or of `%agent defaults`)."""

    model: str | None = None
    system: str | None = None
    tools: list[str] | None = None
    max_turns: int | None = None
    max_cost: float | None = None
    """US dollars: `UsageLimits.max_cost` of the run."""
    approve: str | None = None
    approve_tool: dict[str, str] = field(default_factory=dict[str, str])
    new: bool = False
    out: str | None = None
    history_var: str | None = None
    no_widget: bool = False
    output: str | None = None
    attach: list[str] = field(default_factory=list[str])
    budget: int | None = None
    kernel_tools: bool = False
    record: str | None = None
    replay: str | None = None
    over: str | None = None
    """A batch: the name of the DataFrame, Series or list the cell runs over (one cell only)."""
    concurrency: int | None = None
    rpm: float | None = None
    tpm: float | None = None
    retries: int | None = None
    cache: str | None = None

    @property
    def batch_options(self) -> dict[str, Any]:
        """The batch options given (`--concurrency` ... `--cache`), as `agent.map` keywords."""
        return _given(self)


def parse_cell_line(line: str) -> CellOptions:
    """Parse the `%%agent` line; bad options are a one-line `UsageError`."""
    try:
        argv = shlex.split(line)
    except ValueError as exc:
        raise UsageError(f"cannot read the %%agent options ({exc}): {line}") from exc
    parser: Any = getattr(_agent_options, "parser")  # noqa: B009 - set by @magic_arguments
    if "-h" in argv or "--help" in argv:  # IPython's parser has no help option of its own
        raise UsageError(f"%%agent options:\n{parser.format_help()}")
    try:
        args: Any = parser.parse_args(argv)
    except SystemExit as exc:
        raise UsageError(f"%%agent options:\n{parser.format_help()}") from exc
    per_tool: dict[str, str] = {}
    for entry in args.approve_tool:
        name, sep, policy = entry.partition("=")
        if not sep or policy not in ("ask", "auto", "deny") or not name:
            raise UsageError(f"--approve-tool takes TOOL=ask|auto|deny, got {entry!r}")
        per_tool[name] = policy
    for var in (args.out, args.history_var):
        if var is not None and not var.isidentifier():
            raise UsageError(f"{var!r} is not a valid variable name")
    if args.max_turns is not None and args.max_turns < 0:
        raise UsageError(f"--max-turns must be 0 or more, got {args.max_turns}")
    if args.max_cost is not None and not 0 <= args.max_cost < float("inf"):
        raise UsageError(f"--max-cost is in US dollars, 0 or more; got {args.max_cost}")
    if args.record and args.replay:
        raise UsageError("--record and --replay exclude each other: record once, then replay")
    tools = [t for entry in args.tools for t in entry.split(",") if t] if args.tools else None
    for path in args.attach:
        if path in ("ask", "auto", "deny") and not Path(path).exists():
            raise UsageError(
                f"-a attaches a file (there is no file {path!r}); the approval policy is "
                f"--approve {path}"
            )
    if args.budget is not None and args.budget < 200:
        raise UsageError(f"--budget is characters per object, at least 200; got {args.budget}")
    batch = _batch_args(args)
    return CellOptions(
        model=args.model,
        system=args.system,
        tools=tools,
        max_turns=args.max_turns,
        max_cost=args.max_cost,
        approve=args.approve,
        approve_tool=per_tool,
        new=args.new,
        out=args.out,
        history_var=args.history_var,
        no_widget=args.no_widget,
        output=args.output,
        attach=list(args.attach),
        budget=args.budget,
        kernel_tools=args.kernel_tools,
        record=args.record,
        replay=args.replay,
        over=args.over,
        **batch,
    )


_BATCH_OPTIONS = ("concurrency", "rpm", "tpm", "retries", "cache")  # with --over: agent.map's


def _given(options: Any) -> dict[str, Any]:  # parsed arguments or CellOptions
    return {n: getattr(options, n) for n in _BATCH_OPTIONS if getattr(options, n) is not None}


def _batch_args(args: Any) -> dict[str, Any]:
    """The batch options given; they need `--over`, and `--over` a variable's name."""
    batch = _given(args)
    if batch and args.over is None:
        given = ", ".join(f"--{n}" for n in batch)
        raise UsageError(f"{given} go with --over NAME (a batch over the rows of NAME)")
    if args.over is not None and not args.over.isidentifier():
        raise UsageError(f"--over takes the name of a variable, got {args.over!r}")
    if args.over is not None and args.attach:
        raise UsageError("-a attaches a file to one prompt; it cannot go with --over")
    return batch


def resolve_model(
    ref: str, namespace: Mapping[str, Any], models: ModelCache
) -> CompletionModel | Agent:
    """A variable holding a model or an Agent, else a `"vendor:model"` string (from `models`)."""
    if ref.isidentifier() and ref in namespace:
        value = namespace[ref]
        if isinstance(value, Agent) or callable(getattr(value, "stream", None)):
            return value
        if isinstance(value, str) and ":" in value:
            ref = value  # a variable holding "vendor:model"
        else:
            raise UsageError(f"{ref!r} is a {type(value).__name__}, not a model or an Agent")
    if ":" not in ref:
        raise UsageError(
            f"unknown model {ref!r}: use 'vendor:model' (e.g. openai:gpt-4o-mini) or the name of a "
            "model or Agent variable"
        )
    try:
        return models.get(ref)
    except UserError as exc:
        raise UsageError(str(exc)) from exc


def resolve_tools(names: list[str], namespace: Mapping[str, Any]) -> list[Tool]:
    """Tools by variable name: `@tool` objects or plain functions (wrapped on the fly)."""
    tools: list[Tool] = []
    for name in names:
        if name not in namespace:
            raise UsageError(
                f"no tool named {name!r} in the namespace: define it (a function or @tool)"
            )
        value = namespace[name]
        if isinstance(value, Tool):
            tools.append(value)
        elif callable(value):
            try:
                tools.append(FunctionTool(value, name=name))
            except UserError as exc:
                raise UsageError(str(exc)) from exc
        else:
            raise UsageError(f"{name!r} is a {type(value).__name__}, not a function or a tool")
    return tools


def resolve_output_type(name: str | None, namespace: Mapping[str, Any]) -> Any:
    """The structured-output type named by `--output`."""
    if name is None:
        return None
    value = namespace.get(name)
    if not isinstance(value, type):
        raise UsageError(
            f"--output needs the name of a class (a pydantic model) in the namespace, got {name!r}"
        )
    return value


def resolve_system(ref: str | None, namespace: Mapping[str, Any]) -> str | None:
    """A system prompt given inline, or by the name of a str variable."""
    if ref is not None and ref.isidentifier() and isinstance(namespace.get(ref), str):
        return str(namespace[ref])
    return ref


_FIELD = re.compile(r"\{([^\W\d]\w*(?:\.[^\W\d]\w*)*)\}")
"""A field: `{name}` or `{name.attr.attr}`, nothing else (no spaces, specs, indexing, calls)."""
_BRACE = re.compile(r"[{}]")
_CELL = re.compile(r"\{(In|Out|Err)\[(-?\d+)\]\}")
"""A cell reference: `{In[3]}`, `{Out[-1]}`, `{Err[-1]}` (an integer index, nothing else)."""
_UNSAFE = UNSAFE_ATTRIBUTES
_MISSING = object()


Render = Callable[[Any, str], "str | None"]
"""The text of a field's value (given the field as typed), or `None` for `str(value)`."""
CellReader = Callable[[str, int], Any]
"""`("Out", 3)` -> the value of `Out[3]`; raises `UserError` when there is none."""


def interpolate(
    text: str,
    namespace: Mapping[str, Any],
    *,
    render: Render | None = None,
    cells: CellReader | None = None,
) -> str:
    """Fill `{name}` / `{name.attr}` fields of a `%%agent` prompt from the namespace.

    The rules (README "In Jupyter"):

    * A field is `{` + a name or a dotted chain of names + `}`, with nothing else inside.
      `{x:>10}`, `{x!r}`, `{x[0]}`, `{ x }`, `{"a": 1}` and `{}` are not fields: they are sent
      as typed, so pasted JSON and code (dict literals, f-string specs, indexing) reach the model
      unchanged.
    * A field whose first name is not a variable is sent as typed (`{self.x}` in pasted code).
    * Only public names are read: a field with a `_private` or `__dunder__` part (or a frame /
      globals attribute) is a `UsageError`, as is an attribute that raises. An attribute that
      does not exist leaves the field as typed.
    * `{{` is a literal `{` and the `}}` that closes it a literal `}`, as in `str.format`:
      `{{x}}` sends `{x}`, `{{"a": 1}}` sends `{"a": 1}`. Every other brace is sent as typed, so
      text without `{{` and without fields is never altered (`{"a": {"b": 1}}`, `a }} b`).
    * With `cells`, `{In[n]}`, `{Out[n]}` and `{Err[n]}` (an integer `n`, `-1` the latest) are
      read through it (IPython's history, never the namespace): the only fields with an index.
      One that does not exist is a `UsageError`.
    * `render` gives a value's text (a DataFrame's description, an image's line); by default,
      and where it returns `None`, the text is `str(value)`.
    """
    out: list[str] = []
    opened: list[bool] = []
    """The braces still open: True for an escaped `{{`, False for a literal `{`."""
    index = 0
    while (match := _BRACE.search(text, index)) is not None:
        at = match.start()
        out.append(text[index:at])
        if text.startswith("{{", at):
            opened.append(True)
            out.append("{")
            index = at + 2
        elif text[at] == "{":
            field = _FIELD.match(text, at)
            cell = _CELL.match(text, at) if cells is not None else None
            if cell is not None and cells is not None:
                out.append(_cell(cell, cells, render))
                index = cell.end()
            elif field is not None:
                out.append(_read(field.group(1), namespace, field.group(0), render))
                index = field.end()
            else:
                opened.append(False)
                out.append("{")
                index = at + 1
        elif opened and (not opened[-1] or text.startswith("}}", at)):
            index = at + (2 if opened.pop() else 1)  # closes a literal "{", or a "{{"
            out.append("}")
        else:
            out.append("}")  # closes nothing: sent as typed
            index = at + 1
    out.append(text[index:])
    return "".join(out)


def _cell(match: re.Match[str], cells: CellReader, render: Render | None) -> str:
    typed = match.group(0)
    try:
        value = cells(match.group(1), int(match.group(2)))
    except UserError as exc:
        raise UsageError(f"{typed} in the prompt: {exc}") from None
    return _text(value, typed, render)


def _read(chain: str, namespace: Mapping[str, Any], typed: str, render: Render | None) -> str:
    """The text of one field; `typed` when its name is not a variable."""
    head, *attributes = chain.split(".")
    if head not in namespace:
        return typed
    for part in (head, *attributes):
        if part.startswith("_") or (part in _UNSAFE and part is not head):
            raise UsageError(
                f"{typed} in the prompt: only public names and attributes are filled in, not "
                f"{part!r}; write {{{typed}}} to send it as text"
            )
    value = namespace[head]
    for attribute in attributes:
        try:
            value = getattr(value, attribute, _MISSING)
        except Exception as exc:
            raise UsageError(
                f"{typed} in the prompt: reading .{attribute} raised {_one_line(exc)}"
            ) from None
        if value is _MISSING:
            return typed
    return _text(value, typed, render)


def _text(value: Any, typed: str, render: Render | None) -> str:
    try:
        text = render(value, typed) if render is not None else None
    except UserError as exc:
        raise UsageError(f"{typed} in the prompt: {exc}") from None
    except Exception as exc:
        raise UsageError(f"{typed} in the prompt: rendering raised {_one_line(exc)}") from None
    if text is not None:
        return text
    try:
        return str(value)
    except Exception as exc:
        raise UsageError(f"{typed} in the prompt: str() raised {_one_line(exc)}") from None


def _one_line(exc: BaseException) -> str:
    text = " ".join(str(exc).split())
    if len(text) > 200:
        text = text[:199] + "…"
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__
