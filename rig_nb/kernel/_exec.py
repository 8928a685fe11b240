"""Running code in a namespace the way a notebook cell runs: the last expression is the result.

Top-level `await` works (the code runs on the event loop's thread, as a cell does, so the kernel's
interrupt button stops a runaway loop). What the code prints is captured; an exception becomes its
traceback, trimmed to the code's own frames; new matplotlib figures are collected.
"""

from __future__ import annotations

import ast
import contextlib
import io
import itertools
import linecache
import sys
import traceback
from dataclasses import dataclass, field
from inspect import CO_COROUTINE
from types import CodeType
from typing import Any

__all__ = ["NOTHING", "Execution", "execute"]

NOTHING: Any = object()
"""The result of code whose last statement is not an expression."""

_runs = itertools.count(1)


@dataclass
class Execution:
    """What running some code did."""

    stdout: str = ""
    stderr: str = ""
    result: Any = NOTHING
    error: str | None = None
    """The traceback, when the code raised."""
    figures: list[Any] = field(default_factory=list[Any])
    """matplotlib figures the code made (the result's own figure excluded)."""


async def execute(code: str, namespace: dict[str, Any]) -> Execution:
    """Run `code` with `namespace` as its globals; `KeyboardInterrupt` and cancels propagate."""
    filename = f"<run_python-{next(_runs)}>"
    try:
        tree = ast.parse(code, filename=filename, mode="exec")
    except SyntaxError as exc:
        return Execution(error=_format(exc, filename))
    linecache.cache[filename] = (len(code), None, code.splitlines(True), filename)
    last = tree.body[-1] if tree.body else None
    if isinstance(last, ast.Expr):
        tree.body.pop()
    else:
        last = None
    flags = ast.PyCF_ALLOW_TOP_LEVEL_AWAIT
    try:
        body = compile(tree, filename, "exec", flags=flags)
        expression = (
            compile(ast.Expression(body=last.value), filename, "eval", flags=flags)
            if last is not None
            else None
        )
    except SyntaxError as exc:  # what only the compiler sees (a return outside a function)
        return Execution(error=_format(exc, filename))
    before = _figure_numbers()
    out, err = io.StringIO(), io.StringIO()
    ran = Execution()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            await _run(body, namespace)
            if expression is not None:
                ran.result = await _run(expression, namespace)
        except (Exception, SystemExit) as exc:
            ran.error = _format(exc, filename)
    ran.stdout, ran.stderr = out.getvalue(), err.getvalue()
    ran.figures = [f for f in _new_figures(before) if f is not ran.result]
    return ran


async def _run(code: CodeType, namespace: dict[str, Any]) -> Any:
    value = eval(code, namespace)  # the point of run_python, behind an approval
    if code.co_flags & CO_COROUTINE:
        value = await value
    return value


def _format(exc: BaseException, filename: str) -> str:
    """The traceback from the code's first frame on (no frames of rig_nb's own)."""
    tb = exc.__traceback__
    while tb is not None and tb.tb_frame.f_code.co_filename != filename:
        tb = tb.tb_next
    lines = traceback.format_exception(type(exc), exc, tb if tb is not None else exc.__traceback__)
    if isinstance(exc, SyntaxError | SystemExit):
        lines = traceback.format_exception_only(type(exc), exc)
    return "".join(lines).rstrip("\n")


def _figure_numbers() -> set[int]:
    helpers = sys.modules.get("matplotlib._pylab_helpers")
    if helpers is None:
        return set()
    return {int(m.num) for m in helpers.Gcf.get_all_fig_managers()}


def _new_figures(before: set[int]) -> list[Any]:
    helpers = sys.modules.get("matplotlib._pylab_helpers")
    if helpers is None:
        return []
    managers = sorted(helpers.Gcf.get_all_fig_managers(), key=lambda m: int(m.num))
    return [m.canvas.figure for m in managers if int(m.num) not in before]
