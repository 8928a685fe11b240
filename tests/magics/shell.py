"""The IPython shell the magic tests share (one per process), reset for each test, and `cell`."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from IPython.core.interactiveshell import InteractiveShell

from rig_nb.magics import session_for
from rig_nb.magics._options import CellOptions


def fresh_shell() -> Iterator[Any]:
    """For a fixture: the shell with rig_nb loaded and its session reset, then cleaned.

    Reset: the conversation, the `%agent defaults`, "Always allow" and the names a run sets
    (`agent_result`, `agent_history`, `agent_error`). After the test, the names it added to the
    namespace are removed and the defaults reset again, so no test sees another's.
    """
    ip = InteractiveShell.instance()
    before = set(ip.user_ns)
    ip.run_line_magic("load_ext", "rig_nb")
    session = session_for(ip)
    session.history.clear()
    session.defaults = CellOptions()
    session.always_allowed.clear()
    for name in ("agent_result", "agent_history", "agent_error"):
        ip.user_ns.pop(name, None)
    try:
        yield ip
    finally:
        session.defaults = CellOptions()
        for name in set(ip.user_ns) - before:
            del ip.user_ns[name]


async def cell(ip: Any, source: str) -> Any:
    """Run `source` as a cell (magics and top-level await included); the `ExecutionResult`."""
    return await ip.run_cell_async(source, transformed_cell=ip.transform_cell(source))
