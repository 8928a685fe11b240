"""Spec 2.4 / 2.5: the per-turn stream and reasoning merges (T01-T03, T10-T15)."""

import asyncio
from collections.abc import AsyncIterator

import pytest

from rig_nb import (
    ProviderError,
    Reasoning,
    ReasoningSummary,
    ReasoningText,
    StreamedFinal,
    StreamedText,
    Text,
    ToolCall,
    ToolFunction,
)
from rig_nb.core import (
    RawMessageId,
    RawReasoning,
    RawReasoningDelta,
    RawStreamingChoice,
    RawText,
    RawToolCall,
    StreamingCompletionResponse,
    merge_reasoning_blocks,
)
from rig_nb.testing import ScriptedResponse, final

pytestmark = pytest.mark.anyio


async def replay(
    *steps: RawStreamingChoice | Exception, delay: float = 0.0
) -> AsyncIterator[RawStreamingChoice]:
    for step in steps:
        if delay:
            await asyncio.sleep(delay)
        if isinstance(step, Exception):
            raise step
        yield step


async def drain(stream: StreamingCompletionResponse) -> list:
    return [c async for c in stream]


def test_t01_merge_keeps_order_and_signatures() -> None:
    acc: list[Reasoning] = []
    merge_reasoning_blocks(
        acc, Reasoning(id="rs_1", content=[ReasoningText(text="step-1", signature="sig-1")])
    )
    merge_reasoning_blocks(
        acc,
        Reasoning(
            id="rs_1",
            content=[
                ReasoningText(text="step-2", signature="sig-2"),
                ReasoningSummary(text="summary"),
            ],
        ),
    )
    assert acc == [
        Reasoning(
            id="rs_1",
            content=[
                ReasoningText(text="step-1", signature="sig-1"),
                ReasoningText(text="step-2", signature="sig-2"),
                ReasoningSummary(text="summary"),
            ],
        )
    ]


def test_t02_distinct_ids_stay_separate() -> None:
    a = Reasoning(id="rs_a", content=[ReasoningText(text="a")])
    b = Reasoning(id="rs_b", content=[ReasoningText(text="b")])
    acc = [a]
    merge_reasoning_blocks(acc, b)
    assert acc == [a, b]


def test_t03_none_ids_never_merge() -> None:
    first = Reasoning(id=None, content=[ReasoningText(text="first")])
    second = Reasoning(id=None, content=[ReasoningText(text="second")])
    acc: list[Reasoning] = []
    merge_reasoning_blocks(acc, first)
    merge_reasoning_blocks(acc, second)
    assert acc == [first, second]


async def test_t10_cancel_ends_the_stream_at_the_next_poll() -> None:
    stream = StreamingCompletionResponse(
        replay(RawText("a"), RawText("b"), RawText("c"), delay=0.01)
    )
    got = []
    async for content in stream:
        got.append(content)
        if len(got) == 2:
            stream.cancel()
    assert got == [StreamedText(text="a"), StreamedText(text="b")]
    assert stream.choice == [Text(text="ab")]  # cancel still aggregates


async def test_t11_pause_and_resume() -> None:
    stream = StreamingCompletionResponse(replay(RawText("a"), RawText("b")))
    assert await anext(stream) == StreamedText(text="a")
    stream.pause()
    assert stream.is_paused() is True
    waiting = asyncio.ensure_future(anext(stream))
    await asyncio.sleep(0.05)
    assert not waiting.done()  # no item while paused
    stream.resume()
    assert stream.is_paused() is False
    assert await waiting == StreamedText(text="b")


async def test_t12_aggregates_reasoning() -> None:
    stream = StreamingCompletionResponse(
        replay(
            RawReasoning("rs_1", ReasoningText(text="step one", signature="sig_1")),
            RawText("final answer"),
            final(),
        )
    )
    await drain(stream)
    assert stream.choice == [
        Reasoning(id="rs_1", content=[ReasoningText(text="step one", signature="sig_1")]),
        Text(text="final answer"),
    ]
    assert isinstance(stream.response, ScriptedResponse)


async def test_t13_reasoning_only_stream_has_no_empty_text() -> None:
    stream = StreamingCompletionResponse(
        replay(RawReasoning("rs_only", ReasoningSummary(text="hidden summary")))
    )
    await drain(stream)
    assert stream.choice == [
        Reasoning(id="rs_only", content=[ReasoningSummary(text="hidden summary")])
    ]


async def test_t14_arrival_order() -> None:
    stream = StreamingCompletionResponse(
        replay(
            RawReasoning("rs_interleaved", ReasoningText(text="r")),
            RawText("final-text"),
            RawToolCall(id="tool_1", name="f", arguments={}),
        )
    )
    await drain(stream)
    assert len(stream.choice) == 3
    assert [type(c) for c in stream.choice] == [Reasoning, Text, ToolCall]


async def test_t15_text_split_by_a_tool_call_stays_separate() -> None:
    stream = StreamingCompletionResponse(
        replay(
            RawText("fi"), RawText("rst"), RawToolCall(id="tool_split", name="f"), RawText("second")
        )
    )
    await drain(stream)
    assert stream.choice == [
        Text(text="first"),
        ToolCall(id="tool_split", function=ToolFunction(name="f")),
        Text(text="second"),
    ]


async def test_reasoning_deltas_aggregate_into_one_text_part() -> None:
    stream = StreamingCompletionResponse(
        replay(
            RawReasoningDelta(None, "th"),
            RawReasoningDelta("r1", "ink"),
            RawText("x"),
            RawReasoningDelta(None, "again"),
        )
    )
    await drain(stream)
    assert stream.choice == [
        Reasoning(id=None, content=[ReasoningText(text="think")]),
        Text(text="x"),
        Reasoning(id=None, content=[ReasoningText(text="again")]),
    ]


async def test_empty_stream_leaves_the_text_sentinel_and_message_id_is_kept() -> None:
    stream = StreamingCompletionResponse(replay())
    assert await drain(stream) == []
    assert stream.choice == [Text(text="")]
    ids = StreamingCompletionResponse(replay(RawMessageId("msg_1"), RawText("a")))
    assert await drain(ids) == [StreamedText(text="a")]
    assert ids.message_id == "msg_1"


async def test_t34_only_the_first_final_is_yielded() -> None:
    first, second = final(total_tokens=1), final(total_tokens=2)
    stream = StreamingCompletionResponse(replay(first, second))
    got = await drain(stream)
    assert got == [StreamedFinal(response=first.response)]
    assert stream.response is first.response


@pytest.mark.parametrize(
    "message", ["boom", "request aborted", "ConnectionAbortedError: connection aborted", "ABORTED"]
)
async def test_every_provider_error_propagates_even_an_aborted_one(message: str) -> None:
    # Deviation (issue 9.2): rig's seed ended a stream whose error text contained "aborted" as if
    # it had finished, turning a cut-off answer into a success; every error propagates here.
    failing = StreamingCompletionResponse(replay(RawText("a"), ProviderError(message)))
    assert await anext(failing) == StreamedText(text="a")
    with pytest.raises(ProviderError) as info:
        await anext(failing)
    assert info.value.message == message
    with pytest.raises(StopAsyncIteration):  # nothing after the error
        await anext(failing)
    assert failing.choice == [Text(text="")]  # never aggregated: the turn did not finish


async def test_a_value_that_is_not_a_raw_choice_is_a_type_error() -> None:
    stream = StreamingCompletionResponse(replay(RawText("a"), "plain str"))  # type: ignore[arg-type]
    assert await anext(stream) == StreamedText(text="a")
    with pytest.raises(TypeError, match=r"a model yielded str 'plain str', not a raw streaming"):
        await anext(stream)


async def test_aclose_closes_the_provider_iterator() -> None:
    closed = asyncio.Event()

    async def provider() -> AsyncIterator[RawStreamingChoice]:
        try:
            yield RawText("a")
            await asyncio.sleep(10)
            yield RawText("never")
        finally:
            closed.set()

    stream = StreamingCompletionResponse(provider())
    await anext(stream)
    await stream.aclose()
    assert closed.is_set()
    with pytest.raises(StopAsyncIteration):
        await anext(stream)
