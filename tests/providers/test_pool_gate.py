"""Requests enter httpx's connection pool one at a time (`rig_nb.providers._pool.PoolGate`).

httpcore hands each entering request the first idle connection; the requests that enter before
the first one has started on it all get it too, fail it and go round again, each round scanning
every idle connection. The gate ends that: these tests count the pool's rounds, and check that a
full pool, another transport, a cancel and a second event loop all still work.
"""

import asyncio
import time
from typing import Any

import httpcore
import httpx
import pytest

from rig_nb import Agent, ProviderTimeoutError
from rig_nb.providers import HttpSettings, OpenAIChatModel
from rig_nb.providers._pool import PoolGate, send_through_pool

from .test_many_runs import serving, sse_body

pytestmark = pytest.mark.anyio


@pytest.fixture
def pool_rounds(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """How many times httpcore's pool ran its assignment pass, and how many requests it retried."""
    counts = [0, 0]
    assign = httpcore.AsyncConnectionPool._assign_requests_to_connections
    clear = httpcore._async.connection_pool.AsyncPoolRequest.clear_connection

    def counted_assign(self: Any) -> Any:
        counts[0] += 1
        return assign(self)

    def counted_clear(self: Any) -> None:
        counts[1] += 1
        clear(self)

    monkeypatch.setattr(
        httpcore.AsyncConnectionPool, "_assign_requests_to_connections", counted_assign
    )
    monkeypatch.setattr(
        httpcore._async.connection_pool.AsyncPoolRequest,
        "clear_connection",
        counted_clear,
    )
    return counts


def _model(url: str, client: httpx.AsyncClient, **settings: Any) -> OpenAIChatModel:
    return OpenAIChatModel(
        "m",
        api_key="k",
        base_url=url,
        http_client=client,
        settings=HttpSettings(max_retries=0, **settings),
    )


async def test_requests_at_concurrency_64_take_their_connection_in_one_pass(
    pool_rounds: list[int],
) -> None:
    # Without the gate: about 6.6 passes a request here, most requests failing their first
    # connection (ConnectionNotAvailable) and queueing again.
    limits = httpx.Limits(max_connections=64, max_keepalive_connections=64)
    async with serving() as (server, url), httpx.AsyncClient(limits=limits) as client:
        agent = Agent(_model(url, client))
        gate = asyncio.Semaphore(64)

        async def one(i: int) -> str:
            async with gate:
                return (await agent.stream_prompt(f"row {i}").send()).response

        answers = await asyncio.gather(*(one(i) for i in range(640)))
    assert len(answers) == 640 and all(a.startswith("answer ") for a in answers)
    assert server.requests == 640
    passes, retried = pool_rounds
    # One pass as a request enters, one as its response closes; a request whose connection was
    # taken under it would add more.
    assert passes <= 2 * 640 + 64, (passes, retried)
    assert retried <= 16, (passes, retried)


async def test_a_full_pool_still_serves_every_request_in_turn() -> None:
    limits = httpx.Limits(max_connections=2, max_keepalive_connections=2)
    async with serving(delay=0.02) as (server, url), httpx.AsyncClient(limits=limits) as client:
        agent = Agent(_model(url, client))
        answers = await asyncio.gather(*(agent.stream_prompt("go").send() for _ in range(40)))
    assert len(answers) == 40 and all(a.response.startswith("answer ") for a in answers)
    assert server.requests == 40 and server.peak <= 2


async def test_a_request_waiting_for_a_full_pool_keeps_the_next_ones_out_only_briefly() -> None:
    """Two calls wait for the one connection: both time out after pool_timeout, side by side.

    A gate held until the first waiter's own timeout would make the second wait twice as long.
    """
    limits = httpx.Limits(max_connections=1)
    async with serving(delay=3.0) as (_server, url), httpx.AsyncClient(limits=limits) as client:
        agent = Agent(_model(url, client, pool_timeout=0.5))
        start = time.monotonic()
        ended: list[float] = []

        async def run(prompt: str) -> Any:
            try:
                return await agent.stream_prompt(prompt).send()
            finally:
                ended.append(time.monotonic() - start)

        first = asyncio.create_task(run("holds the connection"))
        await asyncio.sleep(0.1)
        waiting = await asyncio.gather(run("second"), run("third"), return_exceptions=True)
        first.cancel()
        await asyncio.gather(first, return_exceptions=True)
    assert all(isinstance(w, ProviderTimeoutError) for w in waiting), waiting
    assert max(ended[:2]) < 0.1 + 0.5 + 0.35, ended  # not 0.1 + 2 x 0.5


async def test_requests_through_another_transport_are_not_gated() -> None:
    """A MockTransport (or a recorder's) has no httpcore pool: its requests run side by side."""
    in_flight, peak, everyone = [0], [0], asyncio.Event()

    async def handler(request: httpx.Request) -> httpx.Response:
        in_flight[0] += 1
        peak[0] = max(peak[0], in_flight[0])
        if in_flight[0] == 10:
            everyone.set()
        await asyncio.wait_for(everyone.wait(), 5)  # serialised requests would never get here
        in_flight[0] -= 1
        return httpx.Response(
            200, headers={"content-type": "text/event-stream"}, content=sse_body("ok")
        )

    async with httpx.AsyncClient(transport=httpx.MockTransport(handler)) as client:
        agent = Agent(_model("http://mock/v1", client))
        answers = await asyncio.gather(*(agent.stream_prompt("go").send() for _ in range(10)))
        assert PoolGate().lock(client) is None
    assert [a.response for a in answers] == ["ok"] * 10
    assert peak[0] == 10


async def test_cancelled_requests_leave_the_gate_open() -> None:
    async with serving(delay=0.05) as (_server, url), httpx.AsyncClient() as client:
        agent = Agent(_model(url, client))
        tasks = [asyncio.create_task(agent.stream_prompt("go").send()) for _ in range(30)]
        for _ in range(3):  # some are waiting at the gate, one holds it, some are in the pool
            await asyncio.sleep(0)
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        after = await asyncio.wait_for(agent.stream_prompt("after").send(), 5)
    assert after.response.startswith("answer ")


async def test_a_gate_belongs_to_one_client_on_one_loop() -> None:
    gate = PoolGate()
    async with httpx.AsyncClient() as client, httpx.AsyncClient() as other:
        lock = gate.lock(client)
        assert lock is not None and gate.lock(client) is lock
        assert gate.lock(other) not in (None, lock)

    def on_a_new_loop(client: httpx.AsyncClient) -> asyncio.Lock | None:
        async def get() -> asyncio.Lock | None:
            return gate.lock(client)

        return asyncio.run(get())

    fresh = httpx.AsyncClient()
    assert await asyncio.to_thread(on_a_new_loop, fresh) is not None
    here = gate.lock(fresh)
    assert here is not None and here is not await asyncio.to_thread(on_a_new_loop, fresh)
    await fresh.aclose()
    proxied = httpx.AsyncClient(mounts={"http://": httpx.AsyncHTTPTransport()})
    assert gate.lock(proxied) is None  # mounts route requests elsewhere: no single pool
    await proxied.aclose()


async def test_the_gate_sends_what_client_send_would() -> None:
    async with serving() as (_server, url), httpx.AsyncClient() as client:
        request = client.build_request("POST", f"{url}/chat/completions", content=b"{}")
        response = await send_through_pool(client, request)
        try:
            assert response.status_code == 200
            assert "trace" not in request.extensions  # httpcore's events stop once it is in
            body = b"".join([chunk async for chunk in response.aiter_bytes()])
        finally:
            await response.aclose()
    assert body == sse_body("answer 1")
