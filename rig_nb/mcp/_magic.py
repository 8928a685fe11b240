"""`%agent mcp add | list | remove`: MCP servers kept in the kernel for its `%%agent` cells.

```
%agent mcp add files -- npx -y @modelcontextprotocol/server-filesystem /tmp
%agent mcp add docs --header "Authorization: Bearer {token}" http://127.0.0.1:8000/mcp
%agent mcp list
%agent mcp remove files
```

Every `%%agent` cell gets the tools of the servers added (approvals apply as to any tool).
`%agent mcp remove`, `%unload_ext rig_nb` and the kernel's shutdown close them.
"""

from __future__ import annotations

import argparse
import re
import shlex
from collections.abc import Iterable, MutableMapping
from typing import Any, NoReturn

from IPython.core.error import UsageError

from rig_nb.core import Tool
from rig_nb.errors import UserError

from ._server import MCPServer

__all__ = ["close_session", "mcp_command", "session_tools"]

USAGE = (
    "%agent mcp add NAME [--prefix P] [--env KEY=VALUE] [--cwd DIR] [--timeout S] -- CMD ARGS\n"
    "%agent mcp add NAME [--prefix P] [--header 'NAME: VALUE'] [--timeout S] URL\n"
    "%agent mcp list\n"
    "%agent mcp remove NAME"
)
Servers = MutableMapping[str, Any]


def mcp_command(servers: Servers, rest: str) -> None:
    """Run `%agent mcp <rest>` on a kernel session's servers (name -> `MCPServer`)."""
    command, _, args = rest.strip().partition(" ")
    if command == "add":
        _add(servers, args)
    elif command == "list" and not args.strip():
        _list(servers)
    elif command == "remove" and args.strip():
        for name in shlex.split(args):
            _remove(servers, name)
    else:
        raise UsageError(f"%agent mcp takes one of:\n{USAGE}")


def session_tools(servers: Servers, others: Iterable[Tool] = ()) -> list[Tool]:
    """The tools a `%%agent` cell gets from the session's servers; a stopped server says so."""
    owner = {tool.name: "the tools of the cell (-t)" for tool in others}
    tools: list[Tool] = []
    for name, server in servers.items():
        if server.state not in ("running", "starting"):
            why = f" ({server.failure})" if server.failure else ""
            raise UsageError(
                f"the MCP server {name!r} is {server.state}{why}: add it again "
                f"(%agent mcp remove {name}, then %agent mcp add {name} ...) or remove it"
            )
        for tool in server.tools:
            if tool.name in owner:
                raise UsageError(
                    f"the tool {tool.name!r} of MCP server {name!r} has the same name as one of "
                    f"{owner[tool.name]}: add the server with --prefix {name}"
                )
            owner[tool.name] = f"MCP server {name!r}"
            tools.append(tool)
    return tools


def close_session(servers: Servers) -> None:
    """Close every server of a session (`%unload_ext rig_nb`)."""
    for name in list(servers):
        servers.pop(name).close_sync()


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        raise UsageError(f"%agent mcp add: {message}\n{USAGE}")


def _parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="%agent mcp add", add_help=False)
    parser.add_argument("name")
    parser.add_argument("url", nargs="?")
    parser.add_argument("--prefix")
    parser.add_argument("--env", action="append", default=[])
    parser.add_argument("--header", action="append", default=[])
    parser.add_argument("--cwd")
    parser.add_argument("--timeout", type=float, default=60.0)
    parser.add_argument("--connect-timeout", type=float, default=30.0)
    return parser


def _add(servers: Servers, line: str) -> None:
    try:
        words = shlex.split(line)
    except ValueError as exc:
        raise UsageError(f"cannot read %agent mcp add ({exc}): {line}") from exc
    split = words.index("--") if "--" in words else len(words)
    options, command = words[:split], words[split + 1 :]
    args = _parser().parse_intermixed_args(options)
    if not re.fullmatch(r"[A-Za-z0-9_-]{1,64}", args.name):
        raise UsageError(f"{args.name!r} is not a server name: use letters, digits, '_' or '-'")
    if bool(command) == bool(args.url):
        raise UsageError(f"give a command after -- or a URL, not both nor neither:\n{USAGE}")
    old = servers.get(args.name)
    if old is not None and old.state in ("running", "starting"):
        raise UsageError(
            f"the MCP server {args.name!r} is already running: %agent mcp remove {args.name} first"
        )
    try:
        server = MCPServer(
            command or args.url,
            name=args.name,
            env=_pairs(args.env, "--env", "="),
            cwd=args.cwd,
            headers=_pairs(args.header, "--header", ":="),
            prefix=args.prefix,
            timeout=args.timeout,
            connect_timeout=args.connect_timeout,
        )
        server.start_sync()
    except UserError as exc:
        raise UsageError(str(exc)) from None
    if old is not None:
        old.close_sync()
    taken = {t.name: n for n, s in servers.items() if n != args.name for t in s.tools}
    clash = next((t.name for t in server.tools if t.name in taken), None)
    if clash is not None:
        server.close_sync()
        raise UsageError(
            f"the tool {clash!r} of MCP server {args.name!r} has the same name as a tool of MCP "
            f"server {taken[clash]!r}: add it with --prefix {args.name}"
        )
    servers[args.name] = server
    pid = f", pid {server.pid}" if server.pid is not None else ""
    names = ", ".join(t.name for t in server.tools) or "(none)"
    print(f"rig_nb: MCP server {args.name!r} is running{pid}; its tools: {names}")  # noqa: T201


def _list(servers: Servers) -> None:
    if not servers:
        print("(no MCP servers: add one with %agent mcp add NAME -- CMD ARGS)")  # noqa: T201
        return
    for name, server in servers.items():
        pid = f" pid {server.pid}" if server.pid is not None else ""
        why = f": {server.failure}" if server.failure else ""
        tools = ", ".join(t.name for t in server.tools) or "(none)"
        print(f"{name}: {server.state}{why}{pid} {server.target.shown}")  # noqa: T201
        print(f"  tools: {tools}")  # noqa: T201


def _remove(servers: Servers, name: str) -> None:
    server = servers.pop(name, None)
    if server is None:
        known = ", ".join(servers) or "none"
        raise UsageError(f"no MCP server named {name!r} (added: {known})")
    server.close_sync()
    print(f"rig_nb: MCP server {name!r} is closed")  # noqa: T201


def _pairs(entries: list[str], option: str, separators: str) -> dict[str, str]:
    """`KEY=VALUE` (and, for headers, `Name: value`) entries as a dict."""
    pairs: dict[str, str] = {}
    for entry in entries:
        at = min((i for i in (entry.find(s) for s in separators) if i > 0), default=-1)
        if at < 0:  # the entry is not echoed: it may be a key
            raise UsageError(
                f"{option} takes NAME=VALUE" + (" or 'Name: value'" * (":" in separators))
            )
        pairs[entry[:at].strip()] = entry[at + 1 :].strip()
    return pairs
