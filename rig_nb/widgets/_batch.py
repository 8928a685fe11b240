"""`BatchView`: one live view of a batch (`agent.map`), with batch approvals and a Stop button.

```python
view = BatchView(title="Classify tickets", out="results")
display(view)
run = agent.map("Classify: {title}", rows=df, approval="ask", on_approval=view.decide)
results = await view.run(run)
```

It shows rows done, failed and running, tokens, cost, throughput and ETA, a sample of the
failures (each with its prompt and conversation), the tool calls waiting for a decision that holds
for every row, and how the batch ended. The state is small (counts and a capped sample), so it is
synced whole, at most `max_updates_per_second` times a second, plus one exact final state.
Everything shown is text (the front end sets it with `textContent`): nothing from a row can run.

A Stop (the button, `view.stop()`) or the kernel's interrupt ends the batch cleanly: rows in
flight are cancelled, and the rows that finished are kept in the table (`view.table`).
"""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any, cast

import anywidget
import traitlets

from ..batch import BatchEvent, BatchProgress, BatchRun
from ._batch_text import SAMPLE, batch_html, batch_text, failure_entry, initial_state, text_cap
from ._coalesce import Coalescer
from ._edits import pretty_args
from ._policy import ApprovalPolicy, on_loop, wait_with_heartbeat
from ._saved import FRONT_END, SavedDisplay, SavedView, ending, saved_view_setting

__all__ = ["BatchView"]

_STATIC = Path(__file__).parent / "static"


class BatchView(SavedDisplay, anywidget.AnyWidget):
    """A live view of a batch: progress, cost, failures, batch approvals, Stop."""

    _esm = _STATIC / "batch_view.js"
    _css = _STATIC / "batch_view.css"
    _state = traitlets.Dict().tag(sync=True)
    """The whole state (small: counts and a capped sample), synced at most 10 times a second."""
    rendered = traitlets.Bool(False).tag(sync=True)
    """Set by the browser when the view rendered: someone can click."""

    def __init__(
        self,
        *,
        title: str = "batch",
        out: str = "results",
        approval: ApprovalPolicy | str | None = None,
        max_updates_per_second: float = 10.0,
        saved_view: SavedView | None = None,
        **kwargs: Any,
    ) -> None:
        self.saved_view: SavedView = saved_view_setting(saved_view)
        super().__init__(**kwargs)
        self.policy = (
            approval if isinstance(approval, ApprovalPolicy) else ApprovalPolicy.from_env(approval)
        )
        self.data: dict[str, Any] = initial_state(title, out)
        """The live state (`_state` is what was last sent)."""
        self._state = dict(self.data)
        self.batch: BatchRun | None = None
        self.table: Any = None
        """The batch's table once it ended, a Stop or an interrupt included (finished rows)."""
        self._coalescer = Coalescer(self._push, max_updates_per_second)
        self._loop: asyncio.AbstractEventLoop | None = None
        self._rendered_event: asyncio.Event | None = None
        self._waiting: dict[str, asyncio.Future[bool]] = {}
        self._live = False
        self._ran = False
        self._handles: list[Any] = []
        self.updates_sent = 0
        self.on_msg(self._on_message)
        self.observe(self._on_rendered, names="rendered")

    # -- running --------------------------------------------------------------------------------

    def follow(self, batch: BatchRun) -> None:
        """Show `batch`'s progress (called by `run`; call it yourself to only watch)."""
        if self.batch is batch:
            return
        self.batch = batch
        batch.subscribe(self._on_event)
        self._take(batch.progress)

    async def run(self, batch: BatchRun) -> Any:
        """Run `batch` in this view; returns its table.

        A Stop returns the table of the rows that finished. The kernel's interrupt (a cancel) or
        a `KeyboardInterrupt` also ends the batch that way, keeps that table in `view.table`, and
        is raised on. An error of the batch itself (not a row's: those are in the table) is
        shown, then raised.
        """
        self._loop = asyncio.get_running_loop()
        self._rendered_event = asyncio.Event()
        if self.rendered:
            self._rendered_event.set()
        if self.batch is not None and self.batch is not batch:  # a view used again: start afresh
            decisions = [d for d in self.data["decisions"] if d["by"] == "policy"]
            self.data = initial_state(self.data["title"], self.data["out"])
            self.data["decisions"] = decisions
        self.follow(batch)
        self._live, self._ran = True, True
        self.data["status"] = "running"
        self._push()
        ticker = asyncio.ensure_future(self._tick(batch))
        task = asyncio.ensure_future(batch.run())
        try:
            self.table = await asyncio.shield(task)
        except (asyncio.CancelledError, KeyboardInterrupt) as exc:
            cause = "a KeyboardInterrupt" if isinstance(exc, KeyboardInterrupt) else "the kernel"
            batch.stop(f"interrupted by {cause}")
            try:
                self.table = await task
            except BaseException as inner:  # the batch failed while it stopped
                self._end(inner)
                raise exc from inner
            self._end(None, interrupted=cause)
            raise
        except BaseException as exc:
            self._end(exc)
            raise
        finally:
            ticker.cancel()
        self._end(None)
        return self.table

    async def _tick(self, batch: BatchRun) -> None:
        """Elapsed time and ETA move on between rows too."""
        while True:
            await asyncio.sleep(1.0)
            self._take(batch.progress)
            self._changed()

    def stop(self, reason: str = "stopped by user") -> None:
        """What the Stop button does: no row starts, rows in flight end, finished rows stay."""
        if self.batch is None or self.batch.progress.finished:
            return
        if self.data["status"] == "running":
            self.data["status"] = "stopping"
            self._changed()
        self.batch.stop(reason)
        for future in self._waiting.values():  # nobody will answer a question of a stopped batch
            if not future.done():
                future.set_result(False)

    def _end(self, error: BaseException | None, *, interrupted: str | None = None) -> None:
        self._coalescer.cancel()
        self._live = False
        data = self.data
        batch = self.batch
        if batch is not None:
            self._take(batch.progress)
        data["approvals"] = []
        data["running"] = 0
        finished = data["done"] + data["failed"]
        total = data["total"]
        of = f"{finished:,} of {total:,}" if total is not None else f"{finished:,}"
        kept = f"kept in {data['out']}"
        if error is not None:
            data["status"] = "failed"
            data["banner"] = f"The batch failed: {ending(error)[0]}"
        elif interrupted is not None:
            data["status"] = "stopped"
            data["banner"] = f"Interrupted by {interrupted}: {of} rows finished, {kept}"
        elif batch is not None and batch.stopping:
            data["status"] = "stopped"
            reason = batch.stop_reason or "stopped"
            who = "Stopped by you" if reason == "stopped by user" else f"Stopped ({reason})"
            data["banner"] = f"{who}: {of} rows finished, {kept}"
        else:
            data["status"] = "done"
            failed = f", {data['failed']:,} failed" if data["failed"] else ""
            data["banner"] = f"Done: {finished:,} rows{failed}, in {data['out']}"
        self._push()
        self._refresh_displays()

    # -- what the batch tells -------------------------------------------------------------------

    def _on_event(self, event: BatchEvent) -> None:
        self._take(event.progress)
        if event.kind == "row_failed" and event.row is not None:
            if len(self.data["failures"]) < SAMPLE:
                self.data["failures"] = [*self.data["failures"], failure_entry(event.row)]
            else:
                self.data["failures_more"] += 1
        self._changed()

    def _take(self, progress: BatchProgress) -> None:
        self.data.update(
            total=progress.total,
            done=progress.done,
            failed=progress.failed,
            running=progress.running,
            cached=progress.cached,
            input_tokens=progress.input_tokens,
            output_tokens=progress.output_tokens,
            cost=progress.cost,
            elapsed=round(progress.elapsed, 3),
            rows_per_second=round(progress.rows_per_second, 3),
            # no ETA while rows wait for a person: the pace so far says nothing of it
            eta=None if progress.eta is None or self.data["approvals"] else round(progress.eta, 1),
        )

    # -- approvals ------------------------------------------------------------------------------

    def note_policy(self, tool_name: str, allowed: bool) -> None:
        """Say up front that a tool is approved or denied by policy for every row."""
        self._decided(tool_name, allowed, "policy")

    async def decide(self, tool_name: str, args: str) -> bool:
        """`on_approval` of a batch: ask once whether `tool_name` runs for every row."""
        if not await self._front_end_present():
            allowed = self.policy.headless == "auto"
            self._decided(tool_name, allowed, "headless")
            verb = "approved" if allowed else "denied"
            self._notice(
                f"no front end to ask: {tool_name} was {verb} for every row "
                "(RIG_NB_HEADLESS_APPROVAL)"
            )
            return allowed
        loop = asyncio.get_running_loop()
        future = self._waiting.get(tool_name)
        if future is None:
            future = self._waiting[tool_name] = loop.create_future()
            self.data["approvals"] = [
                *self.data["approvals"],
                {"tool": tool_name, "args": text_cap(pretty_args(args))},
            ]
            self.data["eta"] = None  # see `_take`
            self._push()  # a question shows at once
        answered = await wait_with_heartbeat(future, self.policy.timeout)
        self.data["approvals"] = [a for a in self.data["approvals"] if a["tool"] != tool_name]
        self._waiting.pop(tool_name, None)
        if not answered:
            self._decided(tool_name, False, "timeout")
            self._push()
            return False
        self._push()
        return future.result()

    async def _front_end_present(self) -> bool:
        if self.rendered or self._rendered_event is None:
            return self.rendered
        grace = self.policy.render_grace if self._handles else 0
        await wait_with_heartbeat(asyncio.ensure_future(self._rendered_event.wait()), grace)
        return self.rendered

    def _answer(self, tool_name: str, allowed: bool) -> None:
        future = self._waiting.get(tool_name)
        if future is None or future.done():
            return
        self._decided(tool_name, allowed, "you")
        future.set_result(allowed)

    def _decided(self, tool_name: str, allowed: bool, by: str) -> None:
        entry = {"tool": tool_name, "decision": "approved" if allowed else "denied", "by": by}
        self.data["decisions"] = [*self.data["decisions"], entry]
        self._changed()

    def _notice(self, text: str) -> None:
        if text not in self.data["notices"]:
            self.data["notices"] = [*self.data["notices"], text]
            self._changed()

    # -- the front end --------------------------------------------------------------------------

    def _on_rendered(self, change: dict[str, Any]) -> None:
        if change["new"]:
            FRONT_END["seen"] = True
            if self._loop is not None and self._rendered_event is not None:
                self._loop.call_soon_threadsafe(self._rendered_event.set)

    def _on_message(self, _widget: object, content: Any, _buffers: object) -> None:
        """Clicks; on ipykernel 7.0-7.3 this runs in a subshell thread."""
        if not isinstance(content, dict):
            return
        on_loop(self._loop, self.handle_message, cast(dict[str, Any], content))

    def handle_message(self, message: dict[str, Any]) -> None:
        """Apply one click (on the event loop's thread)."""
        kind = message.get("kind")
        if kind == "stop":
            self.stop()
        elif kind in ("approve", "deny") and isinstance(message.get("tool"), str):
            self._answer(message["tool"], kind == "approve")

    def _changed(self) -> None:
        self._coalescer.changed(self._loop)

    def _push(self) -> None:
        self._coalescer.cancel()
        self._state = json.loads(json.dumps(self.data))  # a copy the trait sees as new
        self.updates_sent += 1
        self._coalescer.pushed()

    @property
    def state(self) -> dict[str, Any]:
        """The view's state (what the front end shows)."""
        return self.data

    # -- display --------------------------------------------------------------------------------

    def _texts(self) -> tuple[str, str]:
        return batch_text(self.data), batch_html(self.data)

    def __repr__(self) -> str:
        return f"<BatchView {self.data['status']}: {batch_text(self.data).splitlines()[0]}>"
