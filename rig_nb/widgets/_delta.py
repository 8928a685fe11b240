"""What changed in a view state since the last frame: the bookkeeping behind append-only updates.

The reducer (`_reducer.py`) reports each change here as it folds an item in: a block added, text
appended to a block, a field of a block set, a top-level field set, a notice or a usage record
added. `Changes.delta(state)` then builds one `DeltaMessage` of just that, and forgets it: the
kernel's work per frame is proportional to what changed, never to the size of the transcript.

Growing text is kept as a list of chunks per block and joined only when a whole state is taken
(`materialize`): appending to a block's string for each token would be quadratic on long answers.
"""

from __future__ import annotations

from typing import Any, cast

from ._protocol import Block, BlockOp, DeltaMessage, ViewState

__all__ = ["Changes"]

TOP_FIELDS = ("status", "prompt", "system", "error", "final", "schemas")
"""Top-level fields a delta sets whole (they are small)."""


class Changes:
    """The changes not yet sent, and the chunks of the blocks whose text grows."""

    def __init__(self) -> None:
        self.seq = 0
        """The number of the last frame (delta or whole state) taken."""
        self._sent_blocks = 0
        self._fields: dict[int, set[str]] = {}
        """Per block: fields set (sent whole), or `+text` / `+args` (grown: send what is new)."""
        self._top: set[str] = set()
        self._total = False
        self._notices_sent = 0
        self._turns_sent = 0
        self.chunks: dict[int, list[str]] = {}
        self._chunks_sent: dict[int, int] = {}
        self._args_sent: dict[int, int] = {}

    # -- what the reducer reports ---------------------------------------------------------------

    def grow_text(self, index: int, text: str) -> None:
        """Text appended to block `index`."""
        self.chunks.setdefault(index, []).append(text)
        self._fields.setdefault(index, set()).add("+text")

    def set_text(self, index: int, text: str) -> None:
        """Block `index`'s text replaced (a finished reasoning block)."""
        self.chunks[index] = [text]
        self._fields.setdefault(index, set()).add("text")

    def grow_args(self, index: int) -> None:
        """A tool card's arguments grew (a streamed delta)."""
        self._fields.setdefault(index, set()).add("+args")

    def set_field(self, index: int, *names: str) -> None:
        """Fields of block `index` set."""
        self._fields.setdefault(index, set()).update(names)

    def set_top(self, *names: str) -> None:
        """Top-level fields set (`total` for the usage total and the costs)."""
        for name in names:
            if name == "total":
                self._total = True
            else:
                self._top.add(name)

    # -- frames ---------------------------------------------------------------------------------

    def materialize(self, state: ViewState, *, collapse: bool = False) -> None:
        """Join the chunks of every text and reasoning block into its `text`.

        `collapse` keeps the joined text as the block's only chunk: only when everything is
        about to count as sent (a whole state), since a delta sends the chunks not yet sent.
        """
        blocks = state["blocks"]
        for index, chunks in self.chunks.items():
            block = blocks[index]
            if block["kind"] == "tool" or not chunks:
                continue
            block["text"] = chunks[0] if len(chunks) == 1 else "".join(chunks)
            if collapse:
                self.chunks[index] = [block["text"]]

    def pending(self, state: ViewState) -> bool:
        """Whether anything changed since the last frame."""
        return bool(
            self._fields
            or self._top
            or self._total
            or len(state["blocks"]) > self._sent_blocks
            or len(state["notices"]) > self._notices_sent
            or len(state["usage"]["turns"]) > self._turns_sent
        )

    def whole(self, state: ViewState) -> ViewState:
        """The whole state, as the next frame: everything in it counts as sent."""
        self.materialize(state, collapse=True)
        self.seq += 1
        state["seq"] = self.seq
        self._fields.clear()
        self._top.clear()
        self._total = False
        self._sent_blocks = len(state["blocks"])
        self._notices_sent = len(state["notices"])
        self._turns_sent = len(state["usage"]["turns"])
        self._chunks_sent = {index: len(chunks) for index, chunks in self.chunks.items()}
        self._args_sent = {
            i: len(b["args"]) for i, b in enumerate(state["blocks"]) if b["kind"] == "tool"
        }
        return state

    def delta(self, state: ViewState) -> DeltaMessage | None:
        """What changed since the last frame, as one message (`None`: nothing did)."""
        if not self.pending(state):
            return None
        blocks = state["blocks"]
        ops: list[BlockOp] = []
        for index in sorted(i for i in self._fields if i < self._sent_blocks):
            ops += self._block_ops(index, blocks[index], self._fields[index])
        for index in range(self._sent_blocks, len(blocks)):
            ops.append({"op": "add", "index": index, "block": self._added(index, blocks[index])})
        self._sent_blocks = len(blocks)
        self._fields.clear()
        self.seq += 1
        message: DeltaMessage = {"type": "delta", "seq": self.seq, "ops": ops}
        if self._top:
            message["set"] = cast(Any, {name: state[name] for name in sorted(self._top)})
            self._top.clear()
        if len(state["notices"]) > self._notices_sent:
            message["notices"] = state["notices"][self._notices_sent :]
            self._notices_sent = len(state["notices"])
        turns = state["usage"]["turns"]
        if len(turns) > self._turns_sent:
            message["turns"] = turns[self._turns_sent :]
            self._turns_sent = len(turns)
        if self._total:
            usage = state["usage"]
            message["total"] = usage["total"]
            message["cost"], message["cost_note"] = usage["cost"], usage["cost_note"]
            message["turn_costs"] = [turn["cost"] for turn in usage["turns"]]
            self._total = False
        return message

    def _added(self, index: int, block: Block) -> Block:
        if block["kind"] == "tool":
            self._args_sent[index] = len(block["args"])
        elif index in self.chunks:
            chunks = self.chunks[index]
            block["text"] = "".join(chunks)
            self.chunks[index] = [block["text"]]
            self._chunks_sent[index] = 1
        return block

    def _block_ops(self, index: int, block: Block, fields: set[str]) -> list[BlockOp]:
        ops: list[BlockOp] = []
        patch: dict[str, Any] = {}
        if "text" in fields and block["kind"] != "tool":
            chunks = self.chunks.get(index, [])
            block["text"] = "".join(chunks)
            self.chunks[index] = [block["text"]]
            self._chunks_sent[index] = 1
            patch["text"] = block["text"]
        elif "+text" in fields:
            chunks = self.chunks.get(index, [])
            sent = self._chunks_sent.get(index, 0)
            if len(chunks) > sent:
                new = "".join(chunks[sent:])
                ops.append({"op": "append", "index": index, "field": "text", "text": new})
                self._chunks_sent[index] = len(chunks)
        if block["kind"] == "tool":
            if "args" in fields:
                patch["args"] = block["args"]
                self._args_sent[index] = len(block["args"])
            elif "+args" in fields:
                sent = self._args_sent.get(index, 0)
                if len(block["args"]) > sent:
                    new = block["args"][sent:]
                    ops.append({"op": "append", "index": index, "field": "args", "text": new})
                    self._args_sent[index] = len(block["args"])
        for name in fields:
            if name not in ("text", "+text", "args", "+args"):
                patch[name] = cast(dict[str, Any], block)[name]
        if patch:
            ops.append({"op": "patch", "index": index, "fields": cast(Any, patch)})
        return ops
