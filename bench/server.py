"""A loopback HTTP server that streams OpenAI-chat or Anthropic SSE, in a burst or paced.

The URL carries the shape of the stream: `/t{tokens}c{chunk}[p{pace}]/v1/chat/completions`
(OpenAI) or `.../v1/messages` (Anthropic): `tokens` text tokens, `chunk` tokens per SSE event.
Without `p` the body is written at once (the **burst** regime: the body is already in the socket
when the client reads). With `p{pace}` one SSE event is written every `pace` µs (the **paced**
regime: one event per network read, as real models send them).

    python -m bench.server PORT
"""

from __future__ import annotations

import asyncio
import json
import re
import socket
import sys
from functools import cache

_PATH = re.compile(r"^/t(\d+)c(\d+)(?:p(\d+))?/v1/(chat/completions|messages)")


def _pieces(tokens: int, chunk: int) -> list[str]:
    words = [f"tok{i} " for i in range(tokens)]
    return ["".join(words[i : i + chunk]) for i in range(0, tokens, chunk)]


@cache
def openai_events(tokens: int, chunk: int) -> tuple[bytes, ...]:
    head = {
        "id": "chatcmpl-bench",
        "object": "chat.completion.chunk",
        "created": 1,
        "model": "bench",
    }
    events = [
        {
            **head,
            "choices": [
                {"index": 0, "delta": {"role": "assistant", "content": ""}, "finish_reason": None}
            ],
        }
    ]
    events += [
        {**head, "choices": [{"index": 0, "delta": {"content": piece}, "finish_reason": None}]}
        for piece in _pieces(tokens, chunk)
    ]
    events.append({**head, "choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}]})
    events.append(
        {
            **head,
            "choices": [],
            "usage": {
                "prompt_tokens": 10,
                "completion_tokens": tokens,
                "total_tokens": 10 + tokens,
            },
        }
    )
    lines = [f"data: {json.dumps(e)}\n\n" for e in events] + ["data: [DONE]\n\n"]
    return tuple(line.encode() for line in lines)


@cache
def anthropic_events(tokens: int, chunk: int) -> tuple[bytes, ...]:
    def event(kind: str, data: dict) -> str:
        return f"event: {kind}\ndata: {json.dumps({'type': kind, **data})}\n\n"

    out = [
        event(
            "message_start",
            {
                "message": {
                    "id": "msg_bench",
                    "type": "message",
                    "role": "assistant",
                    "content": [],
                    "model": "bench",
                    "usage": {"input_tokens": 10, "output_tokens": 1},
                }
            },
        ),
        event("content_block_start", {"index": 0, "content_block": {"type": "text", "text": ""}}),
    ]
    out += [
        event("content_block_delta", {"index": 0, "delta": {"type": "text_delta", "text": p}})
        for p in _pieces(tokens, chunk)
    ]
    out += [
        event("content_block_stop", {"index": 0}),
        event(
            "message_delta",
            {
                "delta": {"stop_reason": "end_turn", "stop_sequence": None},
                "usage": {"output_tokens": tokens},
            },
        ),
        event("message_stop", {}),
    ]
    return tuple(e.encode() for e in out)


@cache
def body(kind: str, tokens: int, chunk: int) -> bytes:
    """The whole body of a stream (`kind`: the path's endpoint)."""
    events = openai_events if kind == "chat/completions" else anthropic_events
    return b"".join(events(tokens, chunk))


async def _paced(writer: asyncio.StreamWriter, events: tuple[bytes, ...], pace: float) -> None:
    """One event every `pace` s, on a fixed schedule (a late one does not shift the rest)."""
    loop = asyncio.get_running_loop()
    start = loop.time()
    for i, event in enumerate(events):
        writer.write(event)
        await writer.drain()
        delay = start + (i + 1) * pace - loop.time()
        await asyncio.sleep(max(delay, 0.0))


async def _handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    sock = writer.get_extra_info("socket")
    if sock is not None:
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    try:
        while True:
            head = await reader.readuntil(b"\r\n\r\n")
            lines = head.decode("latin-1").split("\r\n")
            path = lines[0].split(" ")[1]
            length = next(
                (int(h.split(":", 1)[1]) for h in lines if h.lower().startswith("content-length:")),
                0,
            )
            await reader.readexactly(length)
            match = _PATH.match(path)
            if match is None:
                writer.write(b"HTTP/1.1 404 Not Found\r\ncontent-length: 0\r\n\r\n")
                continue
            tokens, chunk, pace, kind = int(match[1]), int(match[2]), match[3], match[4]
            data = body(kind, tokens, chunk)
            writer.write(
                b"HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\ncontent-length: %d\r\n\r\n"
                % len(data)
            )
            if pace is None:
                writer.write(data)
                await writer.drain()
            else:
                events = (openai_events if kind == "chat/completions" else anthropic_events)(
                    tokens, chunk
                )
                await _paced(writer, events, int(pace) / 1e6)
    except (asyncio.IncompleteReadError, ConnectionError):
        pass
    finally:
        writer.close()


async def serve(port: int) -> None:
    server = await asyncio.start_server(_handle, "127.0.0.1", port, backlog=4096)
    print("ready", flush=True)
    async with server:
        await server.serve_forever()


if __name__ == "__main__":
    asyncio.run(serve(int(sys.argv[1])))
