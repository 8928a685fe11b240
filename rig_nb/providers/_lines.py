r"""Lines from a stream of text chunks, knowing which lines have already arrived.

`BufferedLines.buffered()` says whether a complete line is waiting; `batches()` hands over all the
lines that have arrived before a read that would wait, so a provider can turn a whole batch into
raw choices and merge its adjacent text deltas (`merge_text`) without ever holding text back.
Lines end at `\r\n`, `\n` or `\r` (the SSE and NDJSON rules), also when split across chunks.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from typing import Any

from ..core import RawStreamingChoice, RawText

__all__ = ["BufferedLines", "StreamEnded", "batches", "merge_text"]

_NEWLINE = re.compile(r"\r\n|\r|\n")


class StreamEnded(Exception):
    """The connection dropped or stalled after the stream's last chunk (see `expect_end`)."""


class BufferedLines:
    """An async iterator of lines over an async iterator of text chunks, split lazily.

    Text that holds no line end waits in a list until one arrives, so a line of tens of MB that
    comes in small reads is copied a bounded number of times (linear, not quadratic, work);
    `chars_copied` counts the characters copied into the buffer, for tests and benchmarks.
    """

    def __init__(self, chunks: AsyncIterator[str]) -> None:
        self._chunks = chunks
        self._buffer = ""
        self._pos = 0
        self._pending: list[str] = []
        self._next: re.Match[str] | None = None
        self._miss = False  # no line end in the buffer after _pos (until it changes)
        self._plain = True
        self._ended = False
        self.chars_copied = 0

    def __aiter__(self) -> BufferedLines:
        return self

    def feed(self, chunk: str) -> None:
        """Add received text (sans-IO)."""
        if "\n" not in chunk and "\r" not in chunk and not self._buffer.endswith("\r"):
            self._pending.append(chunk)  # the line goes on: keep it aside, copy nothing
            return
        if self._pending:
            self._pending.append(chunk)
            chunk = "".join(self._pending)
            self._pending = []
        self._buffer = self._buffer[self._pos :] + chunk
        self.chars_copied += len(self._buffer)
        self._pos = 0
        self._next = None
        self._miss = False
        self._plain = "\r" not in self._buffer

    def expect_end(self) -> None:
        """The stream's last chunk has arrived: what follows may be cut or never come.

        From now on the source (when it supports it) bounds the wait for each read, and a
        dropped or stalled connection raises `StreamEnded` instead of an error.
        """
        end: Any = getattr(self._chunks, "expect_end", None)
        if end is not None:
            end()

    def _end(self) -> None:
        self._ended = True
        if self._pending:
            self._buffer = self._buffer[self._pos :] + "".join(self._pending)
            self.chars_copied += len(self._buffer)
            self._pos, self._pending = 0, []
        self._next, self._miss = None, False

    def _find(self) -> re.Match[str] | int | None:
        r"""Where the next line ends: a match, or (no "\r" anywhere) the index of its "\n"."""
        if self._miss:
            return None
        if self._plain:
            end = self._buffer.find("\n", self._pos)
            if end < 0:
                self._miss = True
                return None
            return end
        if self._next is None:
            found = _NEWLINE.search(self._buffer, self._pos)
            # A "\r" at the very end may be the first half of "\r\n": not a line end yet.
            if found is not None and found.end() == len(self._buffer) and found.group() == "\r":
                found = None if not self._ended else found
            if found is None:
                self._miss = True
            self._next = found
        return self._next

    def buffered(self) -> bool:
        """Whether a complete line has arrived and not been read."""
        return self._find() is not None

    def take(self, limit: int) -> list[str]:
        """Up to `limit` lines that have arrived, without waiting."""
        out: list[str] = []
        if self._plain:  # no "\r" anywhere: plain str.find, inlined (the hot path)
            if self._miss:
                return out
            buffer, pos, find = self._buffer, self._pos, self._buffer.find
            while len(out) < limit:
                end = find("\n", pos)
                if end < 0:
                    self._miss = True
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
                self._end()


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
