"""Reproduce: httpx/httpcore pool slots leak when the provider's post-stream drain times out.

    python -m bench.pool_leak [ROWS] [DRAIN_TIMEOUT]

Runs `agent.map` over ROWS rows (concurrency 64) against the loopback server and prints the
pool's state at the end. On a loaded machine, with the default `drain_timeout` (0.05 s) the
pool ends with "Requests: N active" although nothing runs: each is a slot lost to a read that
`asyncio.timeout` cancelled (httpcore #1093, #658); once all 64 are lost, every request fails
with `PoolTimeout`. With `drain_timeout=0` (no read is cancelled) the pool ends empty.
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
