"""One batch contender in a fresh process: N rows against the loopback server. Prints JSON.

    python -m bench.batch_worker CONTENDER BASE_URL ROWS CONCURRENCY

Every contender sends the same request per row (a short prompt) and reads the same short
OpenAI-chat stream; its client is set up (and warmed up on 64 rows) before the timed run.
Reported: wall time, CPU time (this process, plus Ray's worker processes for Ray), and RSS
during the run vs after the table. Peak RSS is sampled by the parent (`bench.batch`), from
outside: a sampling thread in here, walking /proc every 50 ms, competed with the event loop for
the GIL and was counted in the CPU (bare httpx, 3,000 rows: 318 rows/s and 3.5 ms of CPU a row
with it, 361-368 rows/s and 2.8 ms without).
"""

from __future__ import annotations

import asyncio
import json
import os
import sys
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import psutil


def tree_cpu() -> float:
    """CPU seconds of this process and its children (Ray's workers), user and system."""
    me = psutil.Process()
    total = sum(me.cpu_times()[:2])
    for child in me.children(recursive=True):
        try:
            total += sum(child.cpu_times()[:2])
        except psutil.Error:
            pass
    return total


def prompts(rows: int) -> list[str]:
    return [f"Classify ticket {i}: my invoice is wrong" for i in range(rows)]


def chat_body(prompt: str) -> dict[str, Any]:
    """The request every contender sends for a row: one short prompt, streamed, with usage."""
    return {
        "model": "bench",
        "messages": [{"role": "user", "content": prompt}],
        "stream": True,
        "stream_options": {"include_usage": True},
    }


async def read_answer(lines: AsyncIterator[str]) -> str:
    """The answer's text from the lines of an OpenAI-chat SSE stream, as bare code reads it."""
    parts: list[str] = []
    async for line in lines:
        if line.startswith("data: ") and line != "data: [DONE]":
            choices = json.loads(line[6:]).get("choices")
            if choices and choices[0]["delta"].get("content"):
                parts.append(choices[0]["delta"]["content"])
    return "".join(parts)


def one_at_a_time(client: Any) -> Callable[[Any], Awaitable[Any]]:
    """`client.send(request, stream=True)`, each request entering the pool after the one before
    it has its connection (httpcore's first trace event, or 5 ms): what rig_nb's HTTP layer does
    (`rig_nb.providers._pool.PoolGate`), written out here."""
    entry, loop = asyncio.Lock(), asyncio.get_running_loop()

    async def send(request: Any) -> Any:
        await entry.acquire()
        held = [True]

        def release() -> None:
            if held[0]:
                held[0] = False
                entry.release()

        async def taken(name: str, info: object) -> None:
            release()

        timer = loop.call_later(0.005, release)
        request.extensions["trace"] = taken
        try:
            return await client.send(request, stream=True)
        finally:
            timer.cancel()
            release()

    return send


async def _bare(base_url: str, rows: int, concurrency: int, *, gated: bool) -> dict[str, Any]:
    import httpx

    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    client = httpx.AsyncClient(limits=limits, timeout=60)
    gate = asyncio.Semaphore(concurrency)
    send = one_at_a_time(client) if gated else None

    async def one(prompt: str) -> str:
        async with gate:
            request = client.build_request(
                "POST", f"{base_url}/chat/completions", json=chat_body(prompt)
            )
            response = await (send(request) if send else client.send(request, stream=True))
            try:
                return await read_answer(response.aiter_lines())
            finally:
                await response.aclose()

    await asyncio.gather(*(one(p) for p in prompts(64)))  # warm up
    start = time.perf_counter()
    answers = await asyncio.gather(*(one(p) for p in prompts(rows)), return_exceptions=True)
    elapsed = time.perf_counter() - start
    await client.aclose()
    return {"elapsed": elapsed, "rows": len(answers), **_failures(answers)}


async def bare_httpx(base_url: str, rows: int, concurrency: int) -> dict[str, Any]:
    """The floor: asyncio.gather over raw httpx, a semaphore of `concurrency`."""
    return await _bare(base_url, rows, concurrency, gated=False)


async def bare_httpx_gated(base_url: str, rows: int, concurrency: int) -> dict[str, Any]:
    """Bare httpx entering the pool as rig_nb does (`one_at_a_time`): the floor for what
    rig_nb's own code costs a row, with the same pool behaviour."""
    return await _bare(base_url, rows, concurrency, gated=True)


def _failures(answers: list[Any]) -> dict[str, Any]:
    """Rows that failed (a loaded 2-core machine drops a connection now and then)."""
    failed = [a for a in answers if isinstance(a, BaseException) or not a]
    return {"failed": len(failed), "first_failure": repr(failed[0])[:300] if failed else None}


def _agent(base_url: str, concurrency: int, drain: float | None = None) -> Any:
    """rig_nb's agent on one client sized like bare httpx's.

    Timeouts are 10 s (a connection slot leaked by httpcore, see bench/README.md, then shows
    as failed rows rather than a run that waits minutes per row); `drain` sets
    `HttpSettings.drain_timeout`.
    """
    import httpx

    from rig_nb import Agent
    from rig_nb.providers import HttpSettings, OpenAIChatModel

    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    client = httpx.AsyncClient(limits=limits, timeout=60)
    settings = HttpSettings(read_timeout=10, max_retries=0)
    if drain is not None:
        settings = HttpSettings(read_timeout=10, max_retries=0, drain_timeout=drain)
    model = OpenAIChatModel(
        "bench", api_key="bench", base_url=base_url, http_client=client, settings=settings
    )
    return Agent(model)


async def rig_nb_map(
    base_url: str, rows: int, concurrency: int, drain: float | None = None
) -> dict[str, Any]:
    """`agent.map` on the local backend: rows streamed to the JSONL spool, table read back."""
    agent = _agent(base_url, concurrency, drain)
    await agent.map(prompts(64), concurrency=concurrency, output="list")  # warm up
    during = [0]
    me = psutil.Process()

    def sample(event: Any) -> None:
        if event.kind == "row_done" and event.progress.done % 500 == 0:
            during[0] = max(during[0], me.memory_info().rss)

    start = time.perf_counter()
    table = await agent.map(
        prompts(rows), concurrency=concurrency, output="list", on_event=sample, retries=0
    )
    elapsed = time.perf_counter() - start
    with_table = me.memory_info().rss  # the table is still alive here
    return {
        "elapsed": elapsed,
        "rows": len(table),
        "rss_during": during[0],
        "rss_table": with_table,
        **_failures([r.response if r.ok else r.error for r in table]),
    }


async def rig_nb_gather(base_url: str, rows: int, concurrency: int) -> dict[str, Any]:
    """The agent loop without the batch layer: `asyncio.gather` of `stream_prompt`, a semaphore."""
    agent = _agent(base_url, concurrency)
    gate = asyncio.Semaphore(concurrency)

    async def one(prompt: str) -> str:
        async with gate:
            return (await agent.stream_prompt(prompt)).response

    await asyncio.gather(*(one(p) for p in prompts(64)))  # warm up
    start = time.perf_counter()
    answers = await asyncio.gather(*(one(p) for p in prompts(rows)), return_exceptions=True)
    elapsed = time.perf_counter() - start
    return {"elapsed": elapsed, "rows": len(answers), **_failures(answers)}


async def rig_nb_map_no_drain(base_url: str, rows: int, concurrency: int) -> dict[str, Any]:
    """`agent.map` with `HttpSettings(drain_timeout=0)`: no read is ever cancelled."""
    return await rig_nb_map(base_url, rows, concurrency, drain=0)


def _ray_init() -> Any:
    import ray

    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)
    return ray


async def rig_nb_ray(base_url: str, rows: int, concurrency: int) -> dict[str, Any]:
    """`agent.map(backend="ray")`: chunks of rows as Ray tasks (what rig_nb ships)."""
    _ray_init()
    agent = _agent(base_url, concurrency)
    options = {"concurrency": concurrency, "backend": "ray", "output": "list", "retries": 0}
    await agent.map(prompts(256), **options)  # warm up: Ray's workers start
    chunk = max(32, rows // 16)
    start = time.perf_counter()
    table = await agent.map(prompts(rows), chunk_size=chunk, **options)
    elapsed = time.perf_counter() - start
    return {
        "elapsed": elapsed,
        "rows": len(table),
        **_failures([r.response if r.ok else r.error for r in table]),
    }


class _RowsUDF:
    """Ray Data's async UDF: each batch of rows through rig_nb's agent on the actor's loop."""

    def __init__(self, base_url: str, concurrency: int) -> None:
        self.agent = _agent(base_url, concurrency)
        self.gate = asyncio.Semaphore(concurrency)

    async def __call__(self, batch: dict[str, Any]) -> Any:
        async def one(prompt: str) -> str:
            async with self.gate:
                return (await self.agent.stream_prompt(prompt)).response

        answers = await asyncio.gather(*(one(str(p)) for p in batch["prompt"]))
        yield {"response": list(answers)}


async def ray_data(base_url: str, rows: int, concurrency: int) -> dict[str, Any]:
    """The alternative weighed: Ray Data `map_batches` with an async callable class."""
    ray = _ray_init()

    def run(n: int) -> int:
        ds = ray.data.from_items([{"prompt": p} for p in prompts(n)])
        out = ds.map_batches(
            _RowsUDF,
            fn_constructor_args=(base_url, concurrency // 2),
            batch_size=max(32, n // 16),
            concurrency=2,
        )
        return sum(1 for _ in out.iter_rows())

    run(256)  # warm up
    start = time.perf_counter()
    count = run(rows)
    elapsed = time.perf_counter() - start
    return {"elapsed": elapsed, "rows": count}


CONTENDERS = {
    "bare httpx": bare_httpx,
    "bare httpx, gated pool entry": bare_httpx_gated,
    "rig_nb stream_prompt + gather": rig_nb_gather,
    "rig_nb agent.map": rig_nb_map,
    "rig_nb agent.map, drain_timeout=0": rig_nb_map_no_drain,
    "rig_nb agent.map, Ray tasks": rig_nb_ray,
    "Ray Data async UDF": ray_data,
}


def main() -> None:
    name, base_url, rows, concurrency = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
    cpu = tree_cpu()
    result = asyncio.run(CONTENDERS[name](base_url, rows, concurrency))
    result["cpu"] = tree_cpu() - cpu
    result["rss_after"] = psutil.Process().memory_info().rss
    print(json.dumps(result))
    sys.stdout.flush()
    os._exit(0)  # Ray's threads would otherwise hold the process for a while


if __name__ == "__main__":
    main()
