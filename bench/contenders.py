"""The contenders: each reads one stream from the loopback server and returns the whole answer.

A contender is set up once (its client, model, agent), as a notebook reuses its agent; `run()`
makes one request and returns `(time to first token, text deltas seen, the answer)`. Every
contender ends with the answer's whole text, as a caller needs it.

The limit is raw httpx reading `aiter_text`, splitting lines with `str.split` and parsing each
`data:` line with `json.loads`; `+ hook` contenders await a callback on every text delta (raw
httpx too, with the text so far, as rig_nb's `on_text_delta` gets it).
"""

from __future__ import annotations

import json
import time
from collections.abc import Awaitable, Callable
from typing import Any

Run = Callable[[], Awaitable[tuple[float, int, str]]]
Setup = Callable[[str], Awaitable[Run]]

OPENAI_BODY = {"model": "bench", "messages": [{"role": "user", "content": "go"}], "stream": True}
ANTHROPIC_BODY = {**OPENAI_BODY, "max_tokens": 10}


class Counter:
    """The hook of `+ hook` contenders: called on every text delta."""

    deltas = 0

    async def on_text_delta(self, text_delta: str, aggregated_text: str) -> None:
        self.deltas += 1


def _openai_text(line: str) -> str | None:
    choices = json.loads(line[6:])["choices"]
    return choices[0]["delta"].get("content") if choices else None


def _anthropic_text(line: str) -> str | None:
    data = json.loads(line[6:])
    return data["delta"].get("text") if data["type"] == "content_block_delta" else None


async def _raw(base_url: str, anthropic: bool, hooked: bool) -> Run:
    import httpx

    client = httpx.AsyncClient(timeout=60)
    if anthropic:
        url, body, text_of = (
            f"{base_url.removesuffix('/v1')}/v1/messages",
            ANTHROPIC_BODY,
            _anthropic_text,
        )
    else:
        url, body, text_of = f"{base_url}/chat/completions", OPENAI_BODY, _openai_text
    hook = Counter()

    async def run() -> tuple[float, int, str]:
        start, first, seen, answer, rest = time.perf_counter(), 0.0, 0, "", ""
        async with client.stream("POST", url, json=body) as response:
            async for chunk in response.aiter_text():
                lines = (rest + chunk).split("\n")
                rest = lines.pop()
                for line in lines:
                    if line.startswith("data: {") and (text := text_of(line)):
                        if not seen:
                            first = time.perf_counter() - start
                        seen += 1
                        answer += text
                        if hooked:
                            await hook.on_text_delta(text, answer)
        return first, seen, answer

    return run


async def _rig_nb(base_url: str, anthropic: bool, hooked: bool) -> Run:
    from rig_nb import Agent, FinalResponse, PromptHook, StreamAssistantItem, StreamedText
    from rig_nb.providers import AnthropicModel, OpenAIChatModel

    class Hook(Counter, PromptHook):
        pass

    if anthropic:
        model: Any = AnthropicModel("bench", api_key="bench", base_url=base_url.removesuffix("/v1"))
    else:
        model = OpenAIChatModel("bench", api_key="bench", base_url=base_url)
    agent = Agent(model, hook=Hook() if hooked else None)

    async def run() -> tuple[float, int, str]:
        start, first, seen, answer = time.perf_counter(), 0.0, 0, ""
        async for item in agent.stream_prompt("go"):
            if isinstance(item, StreamAssistantItem) and isinstance(item.content, StreamedText):
                if not seen:
                    first = time.perf_counter() - start
                seen += 1
            elif isinstance(item, FinalResponse):
                answer = item.response
        return first, seen, answer

    return run


async def openai_sdk(base_url: str) -> Run:
    from openai import AsyncOpenAI

    client = AsyncOpenAI(base_url=base_url, api_key="bench", max_retries=0)

    async def run() -> tuple[float, int, str]:
        start, first, seen, answer = time.perf_counter(), 0.0, 0, ""
        stream = await client.chat.completions.create(
            model="bench", messages=[{"role": "user", "content": "go"}], stream=True
        )
        async for chunk in stream:
            if chunk.choices and (text := chunk.choices[0].delta.content):
                if not seen:
                    first = time.perf_counter() - start
                seen += 1
                answer += text
        return first, seen, answer

    return run


async def pydantic_ai(base_url: str) -> Run:
    from pydantic_ai import Agent
    from pydantic_ai.models.openai import OpenAIChatModel
    from pydantic_ai.providers.openai import OpenAIProvider

    provider = OpenAIProvider(base_url=base_url, api_key="bench")
    agent = Agent(OpenAIChatModel("bench", provider=provider))

    async def run() -> tuple[float, int, str]:
        start, first, seen, answer = time.perf_counter(), 0.0, 0, ""
        async with agent.run_stream("go") as result:
            async for text in result.stream_text(delta=True, debounce_by=None):
                if not seen:
                    first = time.perf_counter() - start
                seen += 1
                answer += text
        return first, seen, answer

    return run


def _variant(
    make: Callable[[str, bool, bool], Awaitable[Run]], anthropic: bool, hooked: bool
) -> Setup:
    async def setup(base_url: str) -> Run:
        return await make(base_url, anthropic, hooked)

    return setup


CONTENDERS: dict[str, Setup] = {
    "raw httpx": _variant(_raw, False, False),
    "raw httpx + hook": _variant(_raw, False, True),
    "rig_nb": _variant(_rig_nb, False, False),
    "rig_nb + hook": _variant(_rig_nb, False, True),
    "openai SDK": openai_sdk,
    "pydantic-ai": pydantic_ai,
    "raw httpx (anthropic)": _variant(_raw, True, False),
    "raw httpx + hook (anthropic)": _variant(_raw, True, True),
    "rig_nb (anthropic)": _variant(_rig_nb, True, False),
    "rig_nb + hook (anthropic)": _variant(_rig_nb, True, True),
}
"""Name -> setup. A `(before)` contender is the same code run against the base commit's rig_nb."""
