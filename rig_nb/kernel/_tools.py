"""`kernel_tools()`: the notebook's namespace as tools — look at variables, run code there.

```python
from rig_nb import Agent, kernel_tools

agent = Agent(model, tools=kernel_tools())  # in a notebook: the user's namespace
```

`list_variables` and `inspect_variable` only read. `run_python` runs code in the user's
namespace: it asks for approval (`Tool.approval = "ask"`), so under a view or `%%agent` it waits
for a click unless a per-tool policy says otherwise (`--approve-tool run_python=auto`), and its
card shows the code, highlighted. Without a view, no one asks: the run's hook decides.
"""

from __future__ import annotations

import pprint
import sys
from collections.abc import MutableMapping
from typing import Any

from ..core import FunctionTool, Tool, ToolOutput
from ..errors import UserError
from ._budget import Budget, clip
from ._exec import NOTHING, execute
from ._images import Picture
from ._render import Rendition, render
from ._variables import describe_variable, list_variables, lookup

__all__ = ["kernel_tools"]


def _shell() -> Any:
    """The running IPython shell, if IPython is loaded and one runs (never imports IPython)."""
    if "IPython" not in sys.modules:
        return None
    from IPython.core.getipython import get_ipython

    return get_ipython()


def kernel_tools(
    namespace: MutableMapping[str, Any] | None = None,
    *,
    budget: Budget | int | None = None,
    run_code: bool = True,
) -> list[Tool]:
    """`list_variables`, `inspect_variable(name)` and `run_python(code)` on a namespace.

    Args:
        namespace: The variables (a dict: the globals the code runs with). Default: the running
            IPython shell's user namespace.
        budget: The size budget of what each tool returns (a `Budget` or a number of characters).
        run_code: Include `run_python` (`False`: read-only tools).

    Raises:
        UserError: no namespace was given and no IPython shell runs, or it is not a dict.
    """
    hidden: dict[str, Any] = {}
    if namespace is None:
        shell = _shell()
        if shell is None:
            raise UserError(
                "kernel_tools() reads the notebook's namespace; outside IPython pass one: "
                "kernel_tools(globals())"
            )
        namespace = shell.user_ns
        hidden = dict(getattr(shell, "user_ns_hidden", {}))
    if not isinstance(namespace, dict):
        raise UserError(
            f"kernel_tools() needs a dict namespace (code runs with it as its globals), "
            f"got {type(namespace).__name__}"
        )
    limits = Budget.of(budget)
    ns: dict[str, Any] = namespace

    async def list_variables_() -> str:
        """List the variables of the user's Python session (a Jupyter notebook).

        Each line gives a name, its type and a short summary (a DataFrame's shape, a list's
        length, a function's signature); the last line names the imported modules.
        """
        return list_variables(ns, hidden, limits)

    async def inspect_variable(name: str) -> ToolOutput:
        """Look at one variable of the user's Python session in detail.

        A DataFrame gives its schema and first rows, a figure or image comes as an image, a
        function or class gives its signature and docstring, anything else its type and repr.

        Args:
            name: The variable's name, or name.attribute (public names only).
        """
        value = lookup(name, ns)
        return describe_variable(name.strip(), value, limits).tool_output()

    async def run_python(code: str) -> ToolOutput:
        """Run Python code in the user's notebook session, with its variables.

        As in a notebook cell: names you define stay in the session, the value of the last
        expression is the result, and top-level await works. Returns what the code printed, the
        result (a DataFrame as a description, a figure as an image), any new matplotlib figures
        as images, and the traceback if it raised. The user may have to approve each run.

        Args:
            code: Python source code.
        """
        return await _run_python(code, ns, limits)

    tools: list[Tool] = [
        FunctionTool(list_variables_, name="list_variables"),
        FunctionTool(inspect_variable, name="inspect_variable"),
    ]
    if run_code:
        runner = FunctionTool(run_python, name="run_python")
        runner.approval = "ask"
        runner.code_argument = "code"
        runner.code_language = "python"
        tools.append(runner)
    return tools


async def _run_python(code: str, namespace: dict[str, Any], budget: Budget) -> ToolOutput:
    ran = await execute(code, namespace)
    sections: list[str] = []
    pictures: list[Picture] = []
    html: str | None = None
    if ran.stdout:
        sections.append(f"stdout:\n{clip(ran.stdout.rstrip(), budget.chars, keep='tail')}")
    if ran.stderr:
        sections.append(f"stderr:\n{clip(ran.stderr.rstrip(), budget.chars, keep='tail')}")
    if ran.result is not NOTHING and ran.result is not None:
        try:
            rendition = render(ran.result, budget)
        except Exception:  # a display method that fails: the repr still says what it is
            rendition = None
        if rendition is None:
            rendition = Rendition(type(ran.result).__name__, _pretty(ran.result, budget))
        pictures += rendition.pictures
        html = rendition.html
        sections.append(f"result:\n{rendition.text}")
    for figure in ran.figures[:4]:
        drawn = render(figure, budget)
        if drawn is not None:
            pictures += drawn.pictures
            sections.append(f"new figure: {drawn.text}")
    if len(ran.figures) > 4:
        sections.append(f"({len(ran.figures) - 4} more new figures not sent)")
    if ran.error is not None:
        sections.append(f"error:\n{clip(ran.error, budget.chars, keep='ends')}")
    text = "\n".join(sections) or "(the code ran: it printed nothing and has no result)"
    return Rendition("run_python", text, tuple(pictures), html).tool_output()


def _pretty(value: Any, budget: Budget) -> str:
    try:
        text = pprint.pformat(value, width=100)
    except Exception as exc:
        text = f"(repr raised {type(exc).__name__}: {exc})"
    return clip(text, budget.chars)
