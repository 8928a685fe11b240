"""The IPython extension: `%load_ext rig_nb` registers `%%agent` and `%agent`.

To load it in every session, add `c.InteractiveShellApp.extensions = ["rig_nb"]` to an IPython
profile's `ipython_config.py`; `c.AgentMagics.model = "openai:gpt-4o-mini"` (and the other traits of
`AgentMagics`) set the defaults of `%%agent` there, `%config AgentMagics.model = ...` in a session.
"""

from __future__ import annotations

from typing import Any

from .._exports import publish as _publish
from ..kernel._cell_log import CellLog
from ._magic import AgentMagics, kernel_can_await, transform_agent_cells
from ._runtime import RunInterrupted, RunKeyboardInterrupt, Session, session_for
from ._runtime import run_cell as run_cell  # what a rewritten `%%agent` cell awaits

__all__ = [
    "AgentMagics",
    "load_ipython_extension",
    "RunInterrupted",
    "RunKeyboardInterrupt",
    "Session",
    "session_for",
    "unload_ipython_extension",
]


def load_ipython_extension(shell: Any) -> None:
    """Register the magics; where the kernel can await, make `%%agent` cells awaited cells."""
    shell.register_magics(AgentMagics(shell))
    session = session_for(shell)
    if session.cells is None:  # {In[-1]} where IPython numbers no cells (nbval)
        session.cells = CellLog(shell)
        shell.events.register("post_run_cell", session.cells.record)
    transformers: list[Any] = shell.input_transformers_cleanup
    if kernel_can_await(shell) and transform_agent_cells not in transformers:
        transformers.insert(0, transform_agent_cells)


def unload_ipython_extension(shell: Any) -> None:
    """Undo `load_ipython_extension`'s transformer; close the cells' models and MCP servers.

    IPython keeps the magics.
    """
    transformers: list[Any] = shell.input_transformers_cleanup
    while transform_agent_cells in transformers:
        transformers.remove(transform_agent_cells)
    session = session_for(shell)
    if session.cells is not None:
        shell.events.unregister("post_run_cell", session.cells.record)
        session.cells = None
    session.models.close_sync()
    servers = session.mcp_servers
    if servers:
        from rig_nb.mcp._magic import close_session

        close_session(servers)


_publish(globals(), __all__, __name__)
