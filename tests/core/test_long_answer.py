"""A long answer is held once: not as one string per delta, not copied between the layers."""

import tracemalloc

import pytest

from rig_nb import Agent, PromptHook
from rig_nb.core import RawFinal, RawText, Usage

pytestmark = pytest.mark.anyio

COUNT = 100_000
TEXT = "".join(f"tok{i:06d} " for i in range(COUNT))  # 1.1 MB of text


class Done:
    def token_usage(self) -> Usage:
        return Usage()


class Streaming:
    """A model whose every delta is a new string, as a provider's JSON parser makes them."""

    async def stream(self, request: object):
        for i in range(COUNT):
            yield RawText(f"tok{i:06d} ")
        yield RawFinal(Done())


async def peak_while_streaming(agent: Agent) -> tuple[int, str, object]:
    """Peak traced memory of a run over what was allocated before it, the answer, the history."""
    tracemalloc.start()
    try:
        before, _ = tracemalloc.get_traced_memory()
        tracemalloc.reset_peak()
        answer = await agent.stream_prompt("go").with_history([])
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return peak - before, answer.response, answer.history


async def test_a_long_answer_is_held_about_once() -> None:
    agent = Agent(Streaming())
    peak, response, history = await peak_while_streaming(agent)
    assert response == TEXT
    # One string per delta (the old accumulator, and the loop's list of them) peaked at 8.5x
    # the text here; grown in place, it peaks at 1.0x.
    assert peak < 1.5 * len(TEXT), f"peak {peak:,} bytes for {len(TEXT):,} characters"
    assert history is not None
    assert history[-1].content[0].text is response  # the same string, not a copy


async def test_with_a_hook_the_answer_is_held_twice_at_most() -> None:
    class Counting(PromptHook):
        deltas = 0

        async def on_text_delta(self, text_delta: str, aggregated_text: str) -> None:
            self.deltas += 1

    hook = Counting()
    agent = Agent(Streaming(), hook=hook)
    peak, response, _ = await peak_while_streaming(agent)
    assert response == TEXT and hook.deltas == COUNT
    # The hook's aggregate is a second copy: 2.0x (the old code peaked at 9.5x).
    assert peak < 2.5 * len(TEXT), f"peak {peak:,} bytes for {len(TEXT):,} characters"
