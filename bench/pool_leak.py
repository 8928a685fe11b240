"""Check: after many runs whose drain times out, httpcore's pool ends with no request held.

    python -m bench.pool_leak [ROWS] [DRAIN_TIMEOUT]

Runs `agent.map` over ROWS rows (concurrency 64) against the loopback server and prints the
pool's state at the end. Before the fix, the drain after a stream's terminal event was a read
under `asyncio.timeout(drain_timeout)`: on a loaded machine the timer cancelled reads and the
pool ended with "Requests: N active" although nothing ran (httpcore #1093, #658), then every
request failed with `PoolTimeout`. Now a task reads the rest and no read is cancelled by a
timer: the pool must end with "Requests: 0 active" whatever DRAIN_TIMEOUT is.
"""

from __future__ import annotations

import asyncio
import subprocess
import sys
import time

import httpx

from bench.run import ROOT, free_port
from rig_nb import Agent
from rig_nb.providers import HttpSettings, OpenAIChatModel


async def run(url: str, rows: int, drain: float) -> str:
    limits = httpx.Limits(max_connections=64, max_keepalive_connections=64)
    client = httpx.AsyncClient(limits=limits, timeout=60)
    settings = HttpSettings(drain_timeout=drain, read_timeout=5, max_retries=0)
    model = OpenAIChatModel("m", api_key="k", base_url=url, http_client=client, settings=settings)
    start = time.perf_counter()
    table = await Agent(model).map(
        [f"p{i}" for i in range(rows)], concurrency=64, output="list", retries=0
    )
    failed = sum(1 for r in table if not r.ok)
    pool = client._transport._pool  # type: ignore[attr-defined]
    return f"drain_timeout={drain}: {rows} rows in {time.perf_counter() - start:.1f} s, {failed} failed; {pool}"


def main() -> None:
    rows = int(sys.argv[1]) if len(sys.argv) > 1 else 10_000
    drain = float(sys.argv[2]) if len(sys.argv) > 2 else 0.05
    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "bench.server", str(port)],
        stdout=subprocess.PIPE,
        cwd=ROOT,
        text=True,
    )
    try:
        assert server.stdout is not None and server.stdout.readline().strip() == "ready"
        print(asyncio.run(run(f"http://127.0.0.1:{port}/t20c20/v1", rows, drain)))
    finally:
        server.terminate()
        server.wait(10)
        if server.stdout is not None:
            server.stdout.close()


if __name__ == "__main__":
    main()
