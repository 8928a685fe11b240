"""A sans-IO decoder of server-sent events (the WHATWG `text/event-stream` format).

Feed it lines (without their line ending); it returns an event at each blank line.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import NamedTuple

from ._lines import BufferedLines, batches

__all__ = ["SSEDecoder", "ServerSentEvent", "aiter_sse", "aiter_sse_batches"]


class ServerSentEvent(NamedTuple):
    """One event: its type (`message` unless named), its data lines joined by newlines, its id."""

    event: str = "message"
    data: str = ""
    id: str | None = None
    retry: int | None = None


class SSEDecoder:
    """Line in, event out, per the specification: `data:` lines accumulate, a blank line ends."""

    def __init__(self) -> None:
        self._event = ""
        self._data: list[str] = []
        self._id: str | None = None
        self._retry: int | None = None

    def decode(self, line: str) -> ServerSentEvent | None:
        """Take one line; return the event it completes, if any."""
        if not line:
            if not self._data:  # nothing to dispatch (the spec's empty data buffer)
                self._event = ""
                return None
            event = ServerSentEvent(
                event=self._event or "message",
                data="\n".join(self._data),
                id=self._id,
                retry=self._retry,
            )
            self._event, self._retry = "", None
            self._data.clear()  # cleared in place: aiter_sse_batches holds this list
            return event
        if line.startswith(":"):
            return None  # a comment (keep-alive)
        field, _, value = line.partition(":")
        value = value.removeprefix(" ")
        if field == "data":
            self._data.append(value)
        elif field == "event":
            self._event = value
        elif field == "id" and "\0" not in value:
            self._id = value
        elif field == "retry" and value.isdigit():
            self._retry = int(value)
        return None

    @property
    def data_lines(self) -> list[str]:
        """The `data` lines of the event being read (the list itself, appended to in place)."""
        return self._data

    def has_pending(self) -> bool:
        """Whether an event was begun and not ended by a blank line (a cut-off stream)."""
        return bool(self._data or self._event)


async def aiter_sse(lines: AsyncIterator[str]) -> AsyncIterator[ServerSentEvent]:
    """The events of a stream of lines, one by one (an unterminated last one too)."""
    async for batch in aiter_sse_batches(lines):
        for event in batch:
            yield event


async def aiter_sse_batches(lines: AsyncIterator[str]) -> AsyncIterator[list[ServerSentEvent]]:
    """The events that have arrived together, one list per network read (see `_lines.batches`)."""
    decoder = SSEDecoder()
    data = decoder.data_lines
    split = isinstance(lines, BufferedLines)  # its lines never end with "\r"
    source = batches(lines) if split else _one_by_one(lines)
    async for batch in source:
        events: list[ServerSentEvent] = []
        for line in batch:
            # The common lines inline (same module, so the decoder's fields directly):
            if not line:
                if data and decoder._retry is None:
                    text = data[0] if len(data) == 1 else "\n".join(data)
                    events.append(ServerSentEvent(decoder._event or "message", text, decoder._id))
                    decoder._event = ""
                    data.clear()
                    continue
            elif split or not line.endswith("\r"):
                if line.startswith("data: "):
                    data.append(line[6:])
                    continue
                if line.startswith("event: "):
                    decoder._event = line[7:]
                    continue
            event = decoder.decode(line.rstrip("\r"))
            if event is not None:
                events.append(event)
        if events:
            yield events
    if decoder.has_pending():
        event = decoder.decode("")
        if event is not None:
            yield [event]


async def _one_by_one(lines: AsyncIterator[str]) -> AsyncIterator[list[str]]:
    async for line in lines:
        yield [line]
