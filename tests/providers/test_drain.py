"""After a stream's terminal event: the rest of the body is read without a timer cancelling the
read (on a busy loop that leaked httpcore pool slots: httpcore #1093), the turn does not wait
more than `drain_timeout` for it, and the connection still goes back to the pool."""

from __future__ import annotations

import asyncio
import json

import httpx
import pytest

from rig_nb import Agent
from rig_nb.providers import HttpSettings, OpenAIChatModel

from .loopback import LoopbackServer, Scripted

pytestmark = [pytest.mark.anyio, pytest.mark.timeout(20)]


def sse_body(text: str) -> bytes:
    chunks = [
        {"id": "c1", "model": "m", "choices": [{"index": 0, "delta": {"content": text}}]},
        {"id": "c1", "model": "m", "choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}]},
    ]
    return ("".join(f"data: {json.dumps(c)}\n\n" for c in chunks) + "data: [DONE]\n\n").encode()


def late_end(text: str, pause: float) -> Scripted:
    """The whole stream at once, then the chunked terminator `pause` s later."""
    return Scripted(
        headers={"content-type": "text/event-stream"},
        pieces=[sse_body(text), pause],
        keep_alive=True,
    )


async def settled(model: OpenAIChatModel) -> None:
    """Wait until no response of the model is still being read to its end."""
    finishing = list(model._http._finishing)  # pyright: ignore[reportPrivateUsage]
    if finishing:
        await asyncio.wait(finishing)


@pytest.mark.parametrize("given", [False, True], ids=["own client", "given client"])
async def test_a_body_that_ends_after_the_drain_timeout_still_returns_its_connection(
    given: bool,
) -> None:
    settings = HttpSettings(drain_timeout=0.01, read_timeout=10)
    with LoopbackServer(late_end("one", 0.4), Scripted.body(sse_body("two"), keep_alive=True)) as s:
        client = httpx.AsyncClient() if given else None
        model = OpenAIChatModel(
            "m", api_key="k", base_url=f"{s.url}/v1", settings=settings, http_client=client
        )
        agent = Agent(model)
        assert (await agent.stream_prompt("a")).response == "one"
        await settled(model)  # the terminator arrived; nothing cancelled the read
        assert (await agent.stream_prompt("b")).response == "two"
        await model.aclose()
        if client is not None:
            await client.aclose()
    assert len(s.peers) == 2 and s.peers[0] == s.peers[1]  # one TCP connection for both turns


async def test_many_late_ends_at_once_leave_no_request_in_the_pool() -> None:
    """Every body ends after the drain timeout: all are read on in the background, none is cut
    by a timer, and the pool ends with no request held (before: slots leaked, PoolTimeout)."""
    runs = 24
    limits = httpx.Limits(max_connections=8, max_keepalive_connections=8)
    client = httpx.AsyncClient(limits=limits, timeout=10)
    settings = HttpSettings(drain_timeout=0.001, read_timeout=10, max_retries=0)
    with LoopbackServer(*[late_end(f"r{i}", 0.05) for i in range(runs)]) as s:
        model = OpenAIChatModel(
            "m", api_key="k", base_url=f"{s.url}/v1", settings=settings, http_client=client
        )
        agent = Agent(model)
        answers = await asyncio.gather(*(agent.stream_prompt(f"p{i}") for i in range(runs)))
        await settled(model)
        pool = client._transport._pool  # pyright: ignore[reportAttributeAccessIssue]
        assert sorted(a.response for a in answers) == sorted(f"r{i}" for i in range(runs))
        assert pool._requests == []  # pyright: ignore[reportUnknownMemberType]
        assert len(set(s.peers)) <= 8 < runs  # connections were given back and reused
        await client.aclose()


async def test_closing_the_model_ends_a_body_still_being_read() -> None:
    """A server that holds the body open after the terminal event: the turn went on; closing
    the model ends the read in the background (no task is left pending)."""
    held = Scripted(headers={"content-type": "text/event-stream"}, pieces=[sse_body("one"), 30.0])
    with LoopbackServer(held) as s:
        model = OpenAIChatModel(
            "m", api_key="k", base_url=f"{s.url}/v1", settings=HttpSettings(drain_timeout=0.01)
        )
        assert (await Agent(model).stream_prompt("a")).response == "one"
        tasks = set(model._http._finishing)  # pyright: ignore[reportPrivateUsage]
        assert len(tasks) == 1
        await model.aclose()
        assert all(t.done() for t in tasks) and not model._http._finishing  # pyright: ignore[reportPrivateUsage]
