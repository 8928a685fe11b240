"""A real MCP server built with the SDK, for the tests: over stdio, or `--http` on 127.0.0.1.

With `--http` it binds an ephemeral port and prints `PORT <n>` on stdout before serving.
`--require-header NAME=VALUE` makes the HTTP server refuse requests without that header.
"""

from __future__ import annotations

import argparse
import base64
import os
import socket
import sys
import time


def _arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser()
    parser.add_argument("--http", action="store_true")
    parser.add_argument("--require-header", default=None)
    parser.add_argument("--stderr", default=None, help="print this to stderr at start")
    parser.add_argument("--exit-at-start", type=int, default=None)
    parser.add_argument("--silent", action="store_true", help="never answer (not an MCP server)")
    parser.add_argument("--api-key", default=None, help="ignored (a secret on the command line)")
    parser.add_argument("--linger", action="store_true", help="stay alive after stdin closes")
    return parser.parse_args()


if __name__ == "__main__":  # before the SDK's imports, which take a while
    ARGS = _arguments()
    if ARGS.stderr:
        print(ARGS.stderr, file=sys.stderr, flush=True)
    if ARGS.exit_at_start is not None:
        sys.exit(ARGS.exit_at_start)
    if ARGS.silent:
        time.sleep(3600)

import anyio  # noqa: E402 - after the early exits above
from mcp.server.mcpserver import MCPServer  # noqa: E402
from mcp.server.mcpserver.exceptions import ToolError  # noqa: E402
from mcp_types import (  # noqa: E402
    CallToolResult,
    EmbeddedResource,
    ImageContent,
    TextContent,
    TextResourceContents,
)

PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg=="
)

server = MCPServer("test-server", log_level="CRITICAL")


@server.tool()
def add(a: int, b: int) -> int:
    """Add two numbers."""
    return a + b


@server.tool()
def echo(text: str) -> str:
    """Echo the text back."""
    return text


@server.tool()
def pid() -> int:
    """The server's process id."""
    return os.getpid()


@server.tool()
def picture(caption: str = "") -> CallToolResult:
    """A 1x1 PNG, with an optional caption."""
    content: list = [TextContent(text=caption)] if caption else []
    content.append(ImageContent(data=base64.b64encode(PNG).decode(), mime_type="image/png"))
    return CallToolResult(content=content)


@server.tool()
def document() -> CallToolResult:
    """An embedded text resource."""
    resource = TextResourceContents(
        uri="file:///notes.txt", text="line one\nline two", mime_type="text/plain"
    )
    return CallToolResult(content=[EmbeddedResource(resource=resource)])


@server.tool()
def structured_only() -> CallToolResult:
    """Structured content and no text block."""
    return CallToolResult(content=[], structured_content={"city": "Paris", "temp_c": 21})


@server.tool()
def refuse(reason: str) -> str:
    """Always fails with the reason (an isError result)."""
    raise ToolError(f"refused: {reason}")


@server.tool()
def crash() -> str:
    """The server dies mid-call."""
    print("about to crash: out of cheese", file=sys.stderr, flush=True)
    os._exit(3)


@server.tool()
async def slow(seconds: float) -> str:
    """Answers after a while."""
    try:
        await anyio.sleep(seconds)
    except anyio.get_cancelled_exc_class():
        print(f"slow({seconds}) was cancelled", file=sys.stderr, flush=True)
        raise
    return f"slept {seconds}"


@server.tool()
def forget(name: str) -> str:
    """Removes a tool from the server."""
    server.remove_tool(name)
    return f"forgot {name}"


@server.tool(name="dotted.name")
def dotted() -> str:
    """A name providers refuse."""
    return "dotted"


def main(args: argparse.Namespace) -> None:
    if not args.http:
        server.run()
        if args.linger:  # only a signal ends it now
            time.sleep(3600)
        return
    import uvicorn

    app = server.streamable_http_app()
    if args.require_header:
        name, _, value = args.require_header.partition("=")
        inner = app

        async def app(scope, receive, send):  # type: ignore[no-redef]
            headers = {k.decode().lower(): v.decode() for k, v in scope.get("headers", [])}
            if scope["type"] == "http" and headers.get(name.lower()) != value:
                await send({"type": "http.response.start", "status": 401, "headers": []})
                await send({"type": "http.response.body", "body": b"unauthorized"})
                return
            await inner(scope, receive, send)

    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen()
    print("PORT", sock.getsockname()[1], flush=True)
    config = uvicorn.Config(app, log_level="warning", lifespan="on")
    anyio.run(uvicorn.Server(config).serve, [sock])


if __name__ == "__main__":
    main(ARGS)
