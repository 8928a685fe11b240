"""`MCPTool`: one tool of an MCP server, as a rig_nb `Tool` (hooks and approvals apply as usual)."""

from __future__ import annotations

import json
import re
from typing import Any, Protocol

from mcp_types import Tool as ToolSpec

from rig_nb.core import Tool, ToolDefinition
from rig_nb.errors import ToolError


class _Server(Protocol):
    """What a tool needs of its server (`MCPServer`), without importing it."""

    name: str

    async def call_tool(self, name: str, arguments: dict[str, Any]) -> str: ...


__all__ = ["MCPTool", "tool_names"]

_NOT_ALLOWED = re.compile(r"[^A-Za-z0-9_-]")


class MCPTool(Tool):
    """A tool of an MCP server: its name, description and input schema; `call` calls the server.

    `name` is what the model sees (with the server's prefix, and characters providers refuse
    replaced by `_`); `mcp_name` is the server's own name for it.
    """

    def __init__(self, server: _Server, spec: ToolSpec, name: str) -> None:
        self.server = server
        self.spec = spec
        self.mcp_name = spec.name
        self.name = name
        self.description = spec.description or spec.title or ""
        self.parameters: dict[str, Any] = dict(spec.input_schema)

    def __repr__(self) -> str:
        return f"<MCP tool {self.name} of {self.server.name}>"

    def definition(self, prompt: str = "") -> ToolDefinition:
        """Name, description and the server's input schema."""
        return ToolDefinition(
            name=self.name, description=self.description, parameters=self.parameters
        )

    async def call(self, args: str) -> str:
        """Call the tool on its server with the arguments' JSON text."""
        try:
            arguments: Any = json.loads(args) if args.strip() else {}
        except ValueError as exc:
            raise ToolError(
                f"arguments of {self.name} are not valid JSON: {exc}", kind="json"
            ) from exc
        if not isinstance(arguments, dict):
            raise ToolError(
                f"arguments of {self.name} must be a JSON object, got {args[:200]}", kind="json"
            )
        return await self.server.call_tool(self.mcp_name, arguments)


def tool_names(server: _Server, specs: list[ToolSpec], prefix: str | None) -> list[MCPTool]:
    """The server's tools with names providers accept (`[A-Za-z0-9_-]{1,64}`), all different."""
    tools: list[MCPTool] = []
    taken: set[str] = set()
    for spec in specs:
        base = _NOT_ALLOWED.sub("_", f"{prefix}_{spec.name}" if prefix else spec.name)[:64]
        name, n = base or "tool", 1
        while name in taken:
            n += 1
            name = f"{base[: 64 - len(str(n)) - 1]}_{n}"
        taken.add(name)
        tools.append(MCPTool(server, spec, name))
    return tools
