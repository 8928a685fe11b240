"""What a batch gives back per row, and what it tells its listeners as it goes."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

from ..core import AnyMessage, Usage

__all__ = ["BatchEvent", "BatchProgress", "RowResult", "RowStatus"]

RowStatus = Literal["ok", "failed", "pending"]
"""`ok`: answered; `failed`: its last attempt failed (`error`); `pending`: never ran (a Stop)."""


@dataclass(kw_only=True)
class RowResult:
    """One row of a batch: its answer, or its typed error, and what it cost."""

    row: Any
    """The row's label: the DataFrame/Series index label, else its position."""
    index: int
    """The row's position in the input."""
    key: str
    """The cache key: model, parameters, tools, preamble, output schema and prompt, hashed."""
    status: RowStatus
    prompt: str
    """The prompt sent (the template filled in)."""
    response: str | None = None
    """The final answer's text."""
    output: Any = None
    """The answer validated into `output_type` (`None` without one)."""
    usage: Usage = field(default_factory=Usage)
    """Tokens summed over the model calls of the row's last attempt (a failed one too)."""
    cost: float | None = None
    """Its price, when the model can price usage (`None` otherwise)."""
    error: BaseException | None = None
    """The error that ended the last attempt: a rig_nb error with `chat_history`."""
    retried: list[str] = field(default_factory=list[str])
    """The errors of the attempts before the last, as text (`"ProviderHTTPError: ..."`)."""
    history: list[AnyMessage] | None = None
    """The conversation: the prompt and this row's messages (the error's when it failed)."""
    attempts: int = 0
    elapsed: float = 0.0
    """Seconds spent on the row, retries and waits included."""
    cached: bool = False
    """Read from the cache of an earlier run rather than run now."""

    @property
    def ok(self) -> bool:
        """Whether the row has an answer."""
        return self.status == "ok"

    @property
    def error_type(self) -> str | None:
        """The name of the error's public class (`"ProviderHTTPError"`), `None` without one."""
        error = self.error
        if error is None:
            return None
        return type(error.__dict__.get("error", error)).__name__  # not its streaming twin


@dataclass(frozen=True, kw_only=True)
class BatchProgress:
    """A snapshot of a batch, for a progress bar or a live view."""

    total: int | None
    """Rows in the input (`None` for an iterator of unknown length)."""
    done: int = 0
    """Rows answered (cached ones included)."""
    failed: int = 0
    running: int = 0
    cached: int = 0
    """Rows answered from the cache (included in `done`)."""
    input_tokens: int = 0
    output_tokens: int = 0
    cost: float | None = None
    """Summed over the rows whose model could price usage; `None` when none could."""
    elapsed: float = 0.0
    stopped: bool = False
    finished: bool = False

    @property
    def rows_per_second(self) -> float:
        """Rows finished (answered or failed, not cached) per second so far."""
        ran = self.done - self.cached + self.failed
        return ran / self.elapsed if self.elapsed > 0 else 0.0

    @property
    def eta(self) -> float | None:
        """Seconds left at the current pace (`None` when unknown)."""
        rate = self.rows_per_second
        if self.total is None or rate <= 0:
            return None
        return max(0, self.total - self.done - self.failed) / rate


EventKind = Literal[
    "started", "row_started", "row_retry", "row_done", "row_failed", "row_cached", "finished"
]


@dataclass(frozen=True, kw_only=True)
class BatchEvent:
    """What a listener (`BatchRun.subscribe`) is told: a kind, the progress, maybe a row."""

    kind: EventKind
    progress: BatchProgress
    row: RowResult | None = None
    """The row that finished (`row_done`, `row_failed`)."""
    index: int | None = None
    """The row's position (`row_started`, `row_retry`, and the finished ones)."""
    error: BaseException | None = None
    """The failed attempt's error (`row_retry`)."""
    wait: float = 0.0
    """Seconds before the retry (`row_retry`)."""
