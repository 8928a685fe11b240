"""A small MCP server for examples/mcp_tools.ipynb, built with the official SDK (`mcp`).

    python examples/servers/weather.py                 # stdio (what the notebook starts)
    python examples/servers/weather.py --http 8000     # streamable HTTP on http://127.0.0.1:8000/mcp

Offline and deterministic: the weather is made up.
"""

from __future__ import annotations

import base64
import struct
import sys
import zlib

from mcp.server.mcpserver import MCPServer
from mcp.server.mcpserver.exceptions import ToolError
from mcp_types import CallToolResult, ImageContent, TextContent

server = MCPServer("weather", log_level="WARNING")

FORECASTS = {"paris": ("sunny", 21), "oslo": ("snow", -4), "lima": ("fog", 17)}


@server.tool()
def forecast(city: str) -> str:
    """Today's weather in a city.

    Args:
        city: The city's name, e.g. "Paris".
    """
    sky, temp = FORECASTS.get(city.lower(), ("cloudy", 12))
    return f"{city}: {sky}, {temp} °C"


@server.tool()
def temperature_chart(city: str) -> CallToolResult:
    """A chart of the week's temperatures in a city (a PNG)."""
    _, temp = FORECASTS.get(city.lower(), ("cloudy", 12))
    week = [temp + d for d in (-2, -1, 0, 1, 2, 1, 0)]
    png = base64.b64encode(_bars(week)).decode()
    return CallToolResult(
        content=[
            TextContent(text=f"{city}, this week: {week}"),
            ImageContent(data=png, mime_type="image/png"),
        ]
    )


@server.tool()
def alerts(city: str) -> str:
    """Weather alerts for a city."""
    raise ToolError(f"no alert service covers {city}")


def _bars(values: list[int], height: int = 40, width: int = 10) -> bytes:
    """A grey bar chart as a PNG, written by hand (no imaging library needed)."""
    low = min(values) - 1
    span = max(values) - low
    rows = []
    for y in range(height):
        row = bytearray([0])  # filter type: none
        for value in values:
            filled = height - y <= (value - low) * height // span
            row += bytes([70 if filled else 245]) * width
        rows.append(bytes(row))

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    header = struct.pack(">IIBBBBB", width * len(values), height, 8, 0, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(b"".join(rows)))
        + chunk(b"IEND", b"")
    )


if __name__ == "__main__":
    if sys.argv[1:2] == ["--http"]:
        port = int(sys.argv[2]) if len(sys.argv) > 2 else 8000
        server.run("streamable-http", host="127.0.0.1", port=port)
    else:
        server.run()
