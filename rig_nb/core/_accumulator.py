"""One model call's stream: raw choices in, streamed content out, the turn aggregated (spec 2.4)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

from ._content import Text, ToolCall
from ._messages import AssistantContent
from ._raw import (
    ProviderResponse,
    RawFinal,
    RawMessageId,
    RawReasoning,
    RawReasoningDelta,
    RawStreamingChoice,
    RawText,
    RawToolCall,
    RawToolCallDelta,
)
from ._reasoning import Reasoning, ReasoningContent, ReasoningText
from ._streaming import (
    StreamedAssistantContent,
    StreamedFinal,
    StreamedReasoningDelta,
    StreamedText,
    StreamedToolCall,
    StreamedToolCallDelta,
)

__all__ = ["StreamingCompletionResponse"]


class _TextPart:
    """A text part being built: one string, grown in place as the deltas come.

    Holding every delta as its own string took 8.5 times the text of a long answer (a small str
    costs 49 bytes more than its characters), and joining them at the end doubles it once more;
    grown in place, a 1M-token answer peaks at 1.1x its text, as raw httpx's does
    (bench/memory.py).
    """

    __slots__ = ("joined",)

    def __init__(self, first: str) -> None:
        self.joined = first

    def add(self, text: str) -> None:
        # The attribute let go first, the local is the string's only reference: CPython then
        # extends it in place (realloc) instead of copying it for each delta.
        joined, self.joined = self.joined, ""
        joined += text
        self.joined = joined

    def text(self) -> str:
        """The part's text so far."""
        return self.joined


class _ReasoningPart:
    """A reasoning block being built; `open_text` collects deltas into its last text part."""

    __slots__ = ("content", "id", "open_text")

    def __init__(self, id: str | None, content: list[ReasoningContent]) -> None:  # noqa: A002
        self.id = id
        self.content = content
        self.open_text: list[str] | None = None

    def build(self) -> Reasoning:
        content = list(self.content)
        if self.open_text is not None:
            content.append(ReasoningText(text="".join(self.open_text)))
        return Reasoning(id=self.id, content=content)


class StreamingCompletionResponse:
    """Wraps a provider's raw iterator for one turn.

    Iterating yields `StreamedAssistantContent`; once exhausted, `choice` holds the turn's content
    in arrival order (`[Text("")]` when nothing came), `response` the first provider final object
    and `message_id` the provider's message id. `cancel()` ends the stream at the next poll (the
    turn is still aggregated); `pause()` / `resume()` hold it. Any error of the provider's iterator
    propagates (rig's quiet end on an "aborted" error is gone), and so does a `TypeError` for a
    value that is not a raw streaming choice.
    """

    def __init__(self, inner: AsyncIterator[RawStreamingChoice]) -> None:
        self._inner = inner
        self._parts: list[_TextPart | _ReasoningPart | ToolCall] = []
        self._text: _TextPart | None = None
        self._reasoning: _ReasoningPart | None = None
        self._running = asyncio.Event()
        self._running.set()
        self._cancelled = False
        self._done = False
        self.choice: list[AssistantContent] = [Text(text="")]
        self.response: ProviderResponse | None = None
        self.message_id: str | None = None

    def cancel(self) -> None:
        """End the stream at the next poll."""
        self._cancelled = True
        self._running.set()

    def pause(self) -> None:
        """Hold the stream: polling waits until `resume()`."""
        self._running.clear()

    def resume(self) -> None:
        """Let a paused stream go on."""
        self._running.set()

    def is_paused(self) -> bool:
        """Whether `pause()` holds the stream."""
        return not self._running.is_set()

    def __aiter__(self) -> StreamingCompletionResponse:
        return self

    async def __anext__(self) -> StreamedAssistantContent:
        while True:
            if self._done:
                raise StopAsyncIteration
            if not self._running.is_set():
                await self._running.wait()
            if self._cancelled:
                await self._finish()
                raise StopAsyncIteration
            try:
                raw = await anext(self._inner)
            except StopAsyncIteration:
                await self._finish()
                raise
            except Exception:
                # Every failure propagates: rig ended a stream whose error text said "aborted" as
                # if it had finished; a cut-off answer is never a success here.
                self._done = True
                raise
            content = self._take(raw)
            if content is not None:
                return content

    async def aclose(self) -> None:
        """Close the provider's iterator (and with it the HTTP response)."""
        self._done = True
        closer: Any = getattr(self._inner, "aclose", None)
        if closer is not None:
            await closer()

    async def _finish(self) -> None:
        if self._parts:
            self.choice = [_build(part) for part in self._parts]
        await self.aclose()

    def text(self) -> str:
        """The turn's text so far: its text parts, in order."""
        return "".join(part.text() for part in self._parts if isinstance(part, _TextPart))

    def _take(self, raw: RawStreamingChoice) -> StreamedAssistantContent | None:
        match raw:
            case RawText(text=text):
                if self._text is not None:
                    self._text.add(text)
                else:
                    self._reasoning = None
                    self._text = _TextPart(text)
                    self._parts.append(self._text)
                return StreamedText(text=text)
            case RawReasoningDelta(id=rid, reasoning=text):
                self._text = None
                part = self._reasoning
                if part is None:
                    part = self._reasoning = _ReasoningPart(rid, [])
                    self._parts.append(part)
                if part.open_text is None:
                    part.open_text = []
                part.open_text.append(text)
                return StreamedReasoningDelta(id=rid, reasoning=text)
            case RawReasoning(id=rid, content=content):
                self._text = self._reasoning = None
                self._parts.append(_ReasoningPart(rid, [content]))
                return Reasoning(id=rid, content=[content])
            case RawToolCall():
                self._text = self._reasoning = None
                call = raw.to_tool_call()
                self._parts.append(call)
                return StreamedToolCall(tool_call=call, internal_call_id=raw.internal_call_id)
            case RawToolCallDelta(id=tid, internal_call_id=iid, content=content):
                return StreamedToolCallDelta(id=tid, internal_call_id=iid, content=content)
            case RawFinal(response=response):
                if self.response is not None:
                    return None
                self.response = response
                return StreamedFinal(response=response)
            case RawMessageId(id=mid):
                self.message_id = mid
                return None
            case _:
                raise TypeError(
                    f"a model yielded {type(raw).__name__} {repr(raw)[:100]}, not a raw "
                    "streaming choice (RawText, RawToolCall, RawFinal...)"
                )


def _build(part: _TextPart | _ReasoningPart | ToolCall) -> AssistantContent:
    if isinstance(part, _TextPart):
        return Text(text=part.text())
    if isinstance(part, _ReasoningPart):
        return part.build()
    return part
