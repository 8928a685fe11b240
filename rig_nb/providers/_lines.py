r"""Lines from a stream of text chunks, knowing which lines have already arrived.

`BufferedLines.buffered()` says whether a complete line is waiting; `batches()` hands over all the
lines that have arrived before a read that would wait, so a provider can turn a whole batch into
raw choices and merge its adjacent text deltas (`merge_text`) without ever holding text back.
Lines end at `\r\n`, `\n` or `\r` (the SSE and NDJSON rules), also when split across chunks.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator

from ..core.streaming import RawStreamingChoice, RawText

__all__ = ["BufferedLines", "batches", "merge_text"]

_NEWLINE = re.compile(r"\r\n|\r|\n")


class BufferedLines:
    """An async iterator of lines over an async iterator of text chunks, split lazily."""

    def __init__(self, chunks: AsyncIterator[str]) -> None:
        self._chunks = chunks
        self._buffer = ""
        self._pos = 0
        self._next: re.Match[str] | None = None
        self._plain = True
        self._ended = False

    def __aiter__(self) -> BufferedLines:
        return self

    def feed(self, chunk: str) -> None:
        """Add received text (sans-IO)."""
        self._buffer = self._buffer[self._pos :] + chunk
        self._pos = 0
        self._next = None
        self._plain = "\r" not in self._buffer

    def _find(self) -> re.Match[str] | int | None:
        r"""Where the next line ends: a match, or (no "\r" anywhere) the index of its "\n"."""
        if self._plain:
            end = self._buffer.find("\n", self._pos)
            return end if end >= 0 else None
        if self._next is None:
            found = _NEWLINE.search(self._buffer, self._pos)
            # A "\r" at the very end may be the first half of "\r\n": not a line end yet.
            if found is not None and found.end() == len(self._buffer) and found.group() == "\r":
                found = None if not self._ended else found
            self._next = found
        return self._next

    def buffered(self) -> bool:
        """Whether a complete line has arrived and not been read."""
        return self._find() is not None

    def take(self, limit: int) -> list[str]:
        """Up to `limit` lines that have arrived, without waiting."""
        out: list[str] = []
        if self._plain:  # no "\r" anywhere: plain str.find, inlined (the hot path)
            buffer, pos, find = self._buffer, self._pos, self._buffer.find
            while len(out) < limit:
                end = find("\n", pos)
                if end < 0:
                    break
                out.append(buffer[pos:end])
                pos = end + 1
            self._pos = pos
            return out
        while len(out) < limit and (found := self._find()) is not None:
            out.append(self._advance(found))
        return out

    def _advance(self, found: re.Match[str] | int) -> str:
        if isinstance(found, int):
            line, self._pos = self._buffer[self._pos : found], found + 1
            return line
        line = self._buffer[self._pos : found.start()]
        self._pos, self._next = found.end(), None
        return line

    async def __anext__(self) -> str:
        while True:
            found = self._find()
            if found is not None:
                return self._advance(found)
            if self._ended:
                if self._pos < len(self._buffer):
                    line = self._buffer[self._pos :].removesuffix("\r")
                    self._pos = len(self._buffer)
                    return line
                raise StopAsyncIteration
            try:
                self.feed(await anext(self._chunks))
            except StopAsyncIteration:
                self._ended, self._next = True, None


def merge_text(choices: list[RawStreamingChoice]) -> list[RawStreamingChoice]:
    """Adjacent text deltas of one batch (what had arrived together), as one."""
    out: list[RawStreamingChoice] = []
    held: list[str] = []
    for choice in choices:
        if type(choice) is RawText:
            held.append(choice.text)
            continue
        if held:
            out.append(RawText(held[0] if len(held) == 1 else "".join(held)))
            held = []
        out.append(choice)
    if held:
        out.append(RawText(held[0] if len(held) == 1 else "".join(held)))
    return out


BATCH_LINES = 64
"""At most this many lines a batch. The first batches are smaller (2, 4, 8... lines), so the
first token of a large read is handed over at once."""


async def batches(lines: BufferedLines) -> AsyncIterator[list[str]]:
    """The lines that have arrived, handed over before any read that would wait."""
    limit = 2
    while True:
        batch = lines.take(limit)
        if not batch:  # nothing has arrived: now wait for the network
            try:
                batch = [await anext(lines), *lines.take(limit - 1)]
            except StopAsyncIteration:
                return
        yield batch
        limit = min(limit * 2, BATCH_LINES)
