"""What the notebook view sends over its comm: bytes and kernel CPU for long transcripts.

```bash
PYTHONPATH=$PWD .venv/bin/python -m bench.view_traffic            # print the table
PYTHONPATH=$PWD .venv/bin/python -m bench.view_traffic --write    # and put it in bench/README.md
```

No front end: the widget's comm is replaced by a recorder that serializes every message as the
kernel's session would (`jupyter_client`'s JSON packer, binary buffers counted as they are), so the
bytes are what would cross the wire, and the CPU includes that serialization. Each scenario runs
the same scripted stream twice, through the agent loop alone and through an `AgentView`; the
view's cost is the difference.

Scenarios:

* **2,000 tool cards + 1 M characters**: 100 turns, each 10,000 characters of text in 20-character
  tokens then 20 tool calls (approval `auto`), at full speed (a burst);
* **paced 100k characters**: one answer of 10,000 ten-character tokens, 1 ms apart (a model
  streaming at ~1,000 tokens/s);
* **1 MB image**: a tool returns a 1 MB PNG, then the answer streams for ~3 s (paced).
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import os
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from jupyter_client.session import json_packer

HERE = Path(__file__).resolve().parent


@dataclass
class Traffic:
    """What one run sent."""

    messages: int = 0
    bytes: int = 0
    last: int = 0
    """The size of the last message: the final state, as it crossed the wire."""
    serialize_cpu: float = 0.0


def record(widget: Any) -> Traffic:
    """Count what `widget` publishes on its comm, serialized as the kernel would."""
    traffic = Traffic()

    def publish_msg(
        msg_type: str,
        data: Any = None,
        metadata: Any = None,
        buffers: Any = None,
        **keys: Any,
    ) -> None:
        cpu = time.process_time()
        size = len(json_packer(data or {})) + len(json_packer(metadata or {}))
        size += sum(len(memoryview(b).cast("B")) for b in buffers or [])
        traffic.serialize_cpu += time.process_time() - cpu
        traffic.messages += 1
        traffic.bytes += size
        traffic.last = size

    widget.comm.publish_msg = publish_msg
    return traffic


def cards_and_text() -> tuple[list[list[Any]], Callable[..., Any], int]:
    from rig_nb.testing import final, tool_call

    turns: list[list[Any]] = []
    for turn in range(100):
        text = [f"t{turn:03d} word {i:05d}  "[:20] for i in range(500)]
        calls = [tool_call("note", {"turn": turn, "i": i}, id=f"c{turn}_{i}") for i in range(20)]
        turns.append([*text, *calls, final()])
    turns.append(["done", final()])

    def note(turn: int, i: int) -> str:
        """Take a note."""
        return f"noted {turn}/{i}: " + "x" * 60

    return turns, note, 101


def paced_answer() -> tuple[list[list[Any]], Callable[..., Any] | None, int]:
    from rig_nb.testing import Delay, final

    steps = [s for i in range(10_000) for s in (f"{i:09d} ", Delay(0.001))]
    return [[*steps, final()]], None, 1


def image_answer() -> tuple[list[list[Any]], Callable[..., Any], int]:
    from rig_nb.testing import Delay, final, tool_call

    png = base64.b64encode(os.urandom(1_000_000)).decode()
    steps = [s for i in range(3_000) for s in (f"{i:09d} ", Delay(0.001))]

    def picture() -> dict[str, Any]:
        """A picture."""
        return {"type": "image", "data": png, "mimeType": "image/png"}

    return [[tool_call("picture", {}, id="p1"), final()], [*steps, final()]], picture, 2


async def _run(turns: list[list[Any]], fn: Callable[..., Any] | None, max_turns: int, view: bool):
    from rig_nb import Agent, tool
    from rig_nb.testing import ScriptedModel
    from rig_nb.widgets import AgentView

    agent = Agent(ScriptedModel(turns), tools=[tool(fn)] if fn else [])
    if not view:
        cpu, wall = time.process_time(), time.monotonic()
        async for _ in agent.stream_prompt("go").multi_turn(max_turns):
            pass
        return time.process_time() - cpu, time.monotonic() - wall, None, None
    widget = AgentView(agent, approval="auto")
    traffic = record(widget)
    cpu, wall = time.process_time(), time.monotonic()
    await widget.run("go", max_turns=max_turns)
    return time.process_time() - cpu, time.monotonic() - wall, traffic, widget


def scenario(name: str, build: Callable[[], tuple[list[list[Any]], Any, int]]) -> str:
    turns, fn, max_turns = build()
    base_cpu, _, _, _ = asyncio.run(_run(turns, fn, max_turns, view=False))
    turns, fn, max_turns = build()
    cpu, wall, traffic, widget = asyncio.run(_run(turns, fn, max_turns, view=True))
    assert traffic is not None and widget is not None
    final_state = traffic.last
    ratio = traffic.bytes / final_state
    return (
        f"| {name} | {final_state / 1e6:.2f} MB | {traffic.messages:,} | "
        f"{traffic.bytes / 1e6:,.1f} MB | **{ratio:,.1f}×** | {base_cpu:.2f} s | "
        f"{cpu:.2f} s | {max(cpu - base_cpu, 0):.2f} s | {wall:.1f} s |"
    )


def table() -> list[str]:
    rows = [
        "| scenario | final state (as sent) | messages | bytes sent | × final state | CPU, loop alone | "
        "CPU, loop + view | view's CPU | wall |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    rows.append(scenario("2,000 tool cards + 1 M characters, burst", cards_and_text))
    rows.append(scenario("100k characters, paced (1 ms/token)", paced_answer))
    rows.append(scenario("1 MB image, then 3k tokens paced", image_answer))
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--write", action="store_true", help="write the table into bench/README.md")
    parser.add_argument("--label", default="", help="a line above the table (e.g. 'after')")
    args = parser.parse_args()
    text = "\n".join([args.label, "", *table()] if args.label else table())
    print(text)
    if args.write:
        readme = HERE / "README.md"
        current = readme.read_text()
        start, end = "<!-- view-traffic -->", "<!-- /view-traffic -->"
        head, found, rest = current.partition(start)
        if not found:
            raise SystemExit(f"bench/README.md has no {start} marker")
        _, _, tail = rest.partition(end)
        readme.write_text(f"{head}{start}\n{text}\n{end}{tail}")


if __name__ == "__main__":
    main()
