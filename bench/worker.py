"""One contender in a fresh process: timed runs, then one traced run for memory. Prints JSON.

    python -m bench.worker CONTENDER BASE_URL TOKENS REPS

Each contender sets up its client (and model, agent) once, as a notebook reuses its agent; only
the request is timed, from the call to the stream's end. Time to first token is measured to the
first text chunk handed to the caller.
"""

from __future__ import annotations

import asyncio
import json
import sys
import time
import tracemalloc
from collections.abc import Awaitable, Callable
from typing import Any

Run = Callable[[], Awaitable[tuple[float, int]]]
Setup = Callable[[str], Awaitable[Run]]


async def raw_httpx(base_url: str) -> Run:
    """The limit: httpx lines, json.loads, the delta's content. Nothing else."""
    import httpx

    client = httpx.AsyncClient(timeout=60)
    body = {"model": "bench", "messages": [{"role": "user", "content": "go"}], "stream": True}

    async def run() -> tuple[float, int]:
        start, first, seen = time.perf_counter(), 0.0, 0
        async with client.stream("POST", f"{base_url}/chat/completions", json=body) as response:
            async for line in response.aiter_lines():
                if not line.startswith("data: ") or line == "data: [DONE]":
                    continue
                chunk = json.loads(line[6:])
                choices = chunk.get("choices")
                if choices and choices[0]["delta"].get("content"):
                    if not seen:
                        first = time.perf_counter() - start
                    seen += 1
        return first, seen

    return run


async def raw_httpx_anthropic(base_url: str) -> Run:
    import httpx

    client = httpx.AsyncClient(timeout=60)
    body = {
        "model": "bench",
        "max_tokens": 10,
        "messages": [{"role": "user", "content": "go"}],
        "stream": True,
    }
    url = f"{base_url.removesuffix('/v1')}/v1/messages"

    async def run() -> tuple[float, int]:
        start, first, seen = time.perf_counter(), 0.0, 0
        async with client.stream("POST", url, json=body) as response:
            async for line in response.aiter_lines():
                if not line.startswith("data: "):
                    continue
                if json.loads(line[6:])["type"] == "content_block_delta":
                    if not seen:
                        first = time.perf_counter() - start
                    seen += 1
        return first, seen

    return run


async def openai_sdk(base_url: str) -> Run:
    from openai import AsyncOpenAI

    client = AsyncOpenAI(base_url=base_url, api_key="bench", max_retries=0)

    async def run() -> tuple[float, int]:
        start, first, seen = time.perf_counter(), 0.0, 0
        stream = await client.chat.completions.create(
            model="bench", messages=[{"role": "user", "content": "go"}], stream=True
        )
        async for chunk in stream:
            if chunk.choices and chunk.choices[0].delta.content:
                if not seen:
                    first = time.perf_counter() - start
                seen += 1
        return first, seen

    return run


async def pydantic_ai(base_url: str) -> Run:
    from pydantic_ai import Agent
    from pydantic_ai.models.openai import OpenAIChatModel
    from pydantic_ai.providers.openai import OpenAIProvider

    agent = Agent(
        OpenAIChatModel("bench", provider=OpenAIProvider(base_url=base_url, api_key="bench"))
    )

    async def run() -> tuple[float, int]:
        start, first, seen = time.perf_counter(), 0.0, 0
        async with agent.run_stream("go") as result:
            async for _text in result.stream_text(delta=True, debounce_by=None):
                if not seen:
                    first = time.perf_counter() - start
                seen += 1
        return first, seen

    return run


async def _rig_nb(base_url: str, hooked: bool, anthropic: bool = False) -> Run:
    from rig_nb import Agent, PromptHook, StreamAssistantItem, StreamedText
    from rig_nb.providers import AnthropicModel, OpenAIChatModel

    class Counting(PromptHook):
        deltas = 0

        async def on_text_delta(self, text_delta: str, aggregated_text: str) -> None:
            self.deltas += 1

    if anthropic:
        model: Any = AnthropicModel("bench", api_key="bench", base_url=base_url.removesuffix("/v1"))
    else:
        model = OpenAIChatModel("bench", api_key="bench", base_url=base_url)
    agent = Agent(model, hook=Counting() if hooked else None)

    async def run() -> tuple[float, int]:
        start, first, seen = time.perf_counter(), 0.0, 0
        async for item in agent.stream_prompt("go"):
            if isinstance(item, StreamAssistantItem) and isinstance(item.content, StreamedText):
                if not seen:
                    first = time.perf_counter() - start
                seen += 1
        return first, seen

    return run


async def rig_nb(base_url: str) -> Run:
    return await _rig_nb(base_url, hooked=False)


async def rig_nb_hook(base_url: str) -> Run:
    return await _rig_nb(base_url, hooked=True)


async def rig_nb_anthropic(base_url: str) -> Run:
    return await _rig_nb(base_url, hooked=False, anthropic=True)


CONTENDERS: dict[str, Setup] = {
    "raw httpx": raw_httpx,
    "openai SDK": openai_sdk,
    "pydantic-ai": pydantic_ai,
    "rig_nb": rig_nb,
    "rig_nb + hook": rig_nb_hook,
    "raw httpx (anthropic)": raw_httpx_anthropic,
    "rig_nb (anthropic)": rig_nb_anthropic,
}


async def main(name: str, base_url: str, reps: int) -> dict[str, Any]:
    run = await CONTENDERS[name](base_url)
    await run()  # warm up: imports, connection pool, caches
    totals, firsts, seen = [], [], 0
    for _ in range(reps):
        start = time.perf_counter()
        first, seen = await run()
        totals.append(time.perf_counter() - start)
        firsts.append(first)
        if seen == 0:
            raise RuntimeError(f"{name} saw no text")
    tracemalloc.start()
    await run()
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return {"totals": totals, "firsts": firsts, "peak_bytes": peak, "chunks": seen}


if __name__ == "__main__":
    name, base_url, reps = sys.argv[1], sys.argv[2], int(sys.argv[4])
    print(json.dumps(asyncio.run(main(name, base_url, reps))))
