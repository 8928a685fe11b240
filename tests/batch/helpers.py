"""Test doubles for batch runs: a model that answers from the prompt, a fake clock."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from typing import Any

from rig_nb import CompletionRequest
from rig_nb.batch import Clock
from rig_nb.core import RawText
from rig_nb.testing import final


def prompt_of(request: CompletionRequest) -> str:
    """The text of the first user message (the row's prompt)."""
    for message in request.chat_history:
        if message.role == "user":
            return "".join(getattr(c, "text", "") for c in message.content)
    return ""


class EchoModel:
    """Answers `echo <prompt>` (deterministic, picklable); `fail(prompt, call)` may raise."""

    model_name = "echo"

    def __init__(
        self,
        fail: Callable[[str, int], BaseException | None] | None = None,
        answer: Callable[[str], str] | None = None,
        delay: float = 0.0,
        delay_for: Callable[[str], float] | None = None,
    ) -> None:
        self.fail = fail
        self.answer = answer
        self.delay = delay
        self.delay_for = delay_for
        """Seconds to wait before answering this prompt (instead of `delay`)."""
        self.calls: dict[str, int] = {}

    def stream(self, request: CompletionRequest) -> AsyncIterator[Any]:
        return self._play(prompt_of(request))

    async def _play(self, prompt: str) -> AsyncIterator[Any]:
        call = self.calls[prompt] = self.calls.get(prompt, 0) + 1
        delay = self.delay_for(prompt) if self.delay_for is not None else self.delay
        if delay:
            await asyncio.sleep(delay)
        if self.fail is not None and (error := self.fail(prompt, call)) is not None:
            raise error
        yield RawText(self.answer(prompt) if self.answer else f"echo {prompt}")
        yield final(input_tokens=len(prompt), output_tokens=2, total_tokens=len(prompt) + 2)


class FakeClock(Clock):
    """Virtual time: `sleep` moves the time forward to the wake-up moment at once."""

    def __init__(self) -> None:
        self.t = 1000.0
        self.slept: list[float] = []

    def now(self) -> float:
        return self.t

    async def sleep(self, seconds: float) -> None:
        wake = self.t + max(seconds, 0.0)  # time only moves forward, never before a wake-up
        self.slept.append(seconds)
        await asyncio.sleep(0)
        self.t = max(self.t, wake)


def openai_sse(text: str, prompt_tokens: int = 10, completion_tokens: int = 3) -> bytes:
    """An OpenAI chat-completions stream answering `text` (for the loopback server)."""
    import json

    head = {"id": "chatcmpl-x", "object": "chat.completion.chunk", "created": 1, "model": "m"}
    events = [
        {**head, "choices": [{"index": 0, "delta": {"role": "assistant", "content": text}}]},
        {**head, "choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}]},
        {
            **head,
            "choices": [],
            "usage": {
                "prompt_tokens": prompt_tokens,
                "completion_tokens": completion_tokens,
                "total_tokens": prompt_tokens + completion_tokens,
            },
        },
    ]
    return ("".join(f"data: {json.dumps(e)}\n\n" for e in events) + "data: [DONE]\n\n").encode()
