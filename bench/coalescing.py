"""The widget's update coalescing: kernel CPU and updates sent for long bursts (no front end).

    python -m bench.coalescing [--write]

(Moved unchanged from the old bench/run.py; the view's own benchmarks measure its traffic.)
"""

from __future__ import annotations

import argparse
import asyncio
import time

from bench.run import write_results


async def _coalescing(tokens: int) -> tuple[float, float, int]:
    from rig_nb import Agent
    from rig_nb.testing import ScriptedModel, final
    from rig_nb.widgets import AgentView

    steps = [f"tok{i} " for i in range(tokens)]
    plain = Agent(ScriptedModel([[*steps, final()]]))
    cpu = time.process_time()
    async for _ in plain.stream_prompt("go"):
        pass
    base = time.process_time() - cpu
    view = AgentView(Agent(ScriptedModel([[*steps, final()]])), approval="auto")
    cpu = time.process_time()
    await view.run("go")
    return base, time.process_time() - cpu, view.updates_sent


def coalescing_rows() -> list[str]:
    rows = [
        "| stream | loop alone (CPU) | loop + AgentView (CPU) | updates sent |",
        "|---|---:|---:|---:|",
    ]
    for tokens in (1_000, 10_000, 100_000):
        base, viewed, updates = asyncio.run(_coalescing(tokens))
        rows.append(
            f"| {tokens:,} tokens, burst | {base * 1000:.0f} ms | {viewed * 1000:.0f} ms | {updates} |"
        )
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--write", action="store_true")
    args = parser.parse_args()
    rows = coalescing_rows()
    print("\n".join(rows))
    if args.write:
        write_results("coalescing", rows)


if __name__ == "__main__":
    main()
