"""What a `%%agent` cell costs on a loopback OpenAI-format server over a cell on a local model.

    python -m bench.magics [--pairs 20] [--before DIR] [--write]

In one IPython shell (in a worker process), `%%agent -m openai:bench --no-widget` cells against
the loopback server alternate with `%%agent -m local --no-widget` cells whose model answers at
once in-process (A B / B A); the figure is the median over pairs of the difference in wall time.
The server's one-token answer takes it well under a millisecond, so the difference is the cost
of the HTTP model: building it, its client and a connection, or reusing them. Also: the CPU
time of building a model's client for an `http://` base URL.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from typing import Any

from bench.paired import ROOT
from bench.run import server, write_results


class Local:
    """A model that answers at once, in-process."""

    async def stream(self, request: Any) -> Any:
        from rig_nb.core import RawFinal, RawText, Usage

        class Done:
            def token_usage(self) -> Usage:
                return Usage()

        yield RawText("answer")
        yield RawFinal(Done())


async def cells(url: str, pairs: int) -> dict[str, float]:
    from IPython.core.interactiveshell import InteractiveShell

    os.environ["OPENAI_BASE_URL"], os.environ["OPENAI_API_KEY"] = url, "bench"
    ip = InteractiveShell.instance()
    ip.run_line_magic("load_ext", "rig_nb")
    ip.user_ns["local"] = Local()
    kinds = {
        "http": "%%agent -m openai:bench --no-widget --new\nHi",
        "local": "%%agent -m local --no-widget --new\nHi",
    }

    async def cell(kind: str) -> float:
        source = kinds[kind]
        start = time.perf_counter()
        with contextlib.redirect_stdout(io.StringIO()):
            result = await ip.run_cell_async(source, transformed_cell=ip.transform_cell(source))
        assert result.success, result.error_in_exec
        return time.perf_counter() - start

    for _ in range(3):
        await cell("http")
        await cell("local")
    diffs = []
    for i in range(pairs):
        if i % 2 == 0:
            a, b = await cell("local"), await cell("http")
        else:
            b, a = await cell("http"), await cell("local")
        diffs.append(b - a)
    return {"per_cell": statistics.median(diffs), "client": await _client_cpu()}


async def _client_cpu() -> float:
    """CPU time to build the client a model builds for `http://` (median of 20)."""
    from rig_nb.providers import OpenAIChatModel

    times = []
    for _ in range(20):
        model = OpenAIChatModel("bench", api_key="bench", base_url="http://127.0.0.1:1/v1")
        start = time.process_time()
        model._http._client()  # what a model's first call builds
        times.append(time.process_time() - start)
        await model.aclose()
    return statistics.median(times)


def worker(url: str, pairs: int, pythonpath: str | None) -> dict[str, float]:
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(p for p in (pythonpath, str(ROOT)) if p))
    code = f"import asyncio, json, bench.magics as m; print(json.dumps(asyncio.run(m.cells({url!r}, {pairs}))))"
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, env=env,
        cwd=tempfile.gettempdir(),
    )  # fmt: skip
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pairs", type=int, default=20)
    parser.add_argument("--before", help="a directory holding the base commit's rig_nb package")
    parser.add_argument("--write", action="store_true")
    args = parser.parse_args()
    codes = {"after": None, **({"before": args.before} if args.before else {})}
    rows = [
        "| code | `%%agent` cell on the loopback server, minus one on a local model | building the model's client (`http://`), CPU |",
        "|---|---:|---:|",
    ]
    with server() as port:
        url = f"http://127.0.0.1:{port}/t1c1/v1"
        for code, path in codes.items():
            found = worker(url, args.pairs, path)
            rows.append(
                f"| {code} | **{found['per_cell'] * 1000:+.1f} ms** | {found['client'] * 1000:.1f} ms |"
            )
            print(rows[-1], flush=True)
    text = [
        f"{args.pairs} pairs of cells in one IPython shell, A B / B A; the median of the per-pair "
        "differences in wall time.",
        "",
        *rows,
    ]
    print("\n".join(text))
    if args.write:
        write_results("magics", text)


if __name__ == "__main__":
    main()
