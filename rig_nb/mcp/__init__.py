"""Tools from Model Context Protocol servers, over stdio or streamable HTTP (the `mcp` SDK).

```python
from rig_nb import Agent
from rig_nb.mcp import MCPServer, mcp_tools

tools = await mcp_tools("python my_server.py")     # runs until closed or the process ends
agent = Agent(model, tools=[*tools])

async with MCPServer("http://127.0.0.1:8000/mcp", headers={"Authorization": token}) as server:
    answer = await Agent(model, tools=server.tools).stream_prompt("...").multi_turn(3)
```

Each MCP tool is a rig_nb `Tool`: hooks and approvals see it like any other. Its text and image
results become the tool result the model and the view get; an `isError` result, a call that
times out and a server that died are failed tool calls (the model reads why, the run goes on).
In Jupyter, `%agent mcp add NAME -- CMD ARGS` keeps a server for the kernel's `%%agent` cells.

Importing this module imports the `mcp` SDK (`pip install 'rig_nb[mcp]'`); `import rig_nb` does not.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from os import PathLike

try:
    import mcp as _mcp  # noqa: F401
except ImportError as _exc:  # pragma: no cover - depends on the install
    raise ImportError("rig_nb.mcp needs the mcp package: pip install 'rig_nb[mcp]'") from _exc

from .._exports import publish as _publish
from ._server import MCPServer, close_all
from ._target import MCPServerError
from ._tool import MCPTool

__all__ = ["close_all", "mcp_tools", "MCPServer", "MCPServerError", "MCPTool"]


async def mcp_tools(
    target: str | Sequence[str],
    *,
    name: str | None = None,
    env: Mapping[str, str] | None = None,
    cwd: str | PathLike[str] | None = None,
    headers: Mapping[str, str] | None = None,
    prefix: str | None = None,
    timeout: float | None = 60.0,  # noqa: ASYNC109 - each tool call's timeout, not this function's
    connect_timeout: float = 30.0,
) -> list[MCPTool]:
    """Start an MCP server and return its tools (see `MCPServer` for the arguments).

    The server runs until `await tools[0].server.aclose()`, `await rig_nb.mcp.close_all()` or
    the end of the process (which closes it). `async with MCPServer(...)` bounds it to a block.
    """
    server = MCPServer(
        target,
        name=name,
        env=env,
        cwd=cwd,
        headers=headers,
        prefix=prefix,
        timeout=timeout,
        connect_timeout=connect_timeout,
    )
    await server.start()
    return server.tools


_publish(globals(), __all__, __name__)
