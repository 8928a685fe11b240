"""The options of a batch, checked once before anything runs."""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from ..core import Usage
from ..errors import UserError
from ._limits import Clock
from ._row import RetryOn
from ._table import Output

__all__ = ["BatchOptions"]


@dataclass(kw_only=True)
class BatchOptions:
    """Everything `agent.map` takes besides the prompts (see `rig_nb.batch.map_agent`)."""

    concurrency: int = 16
    rpm: float | None = None
    tpm: float | None = None
    rate_window: float = 60.0
    retries: int = 2
    retry_on: RetryOn = None
    backoff: float = 1.0
    output_type: Any = None
    max_turns: int | None = None
    cache: str | os.PathLike[str] | None = None
    cache_salt: str | None = None
    backend: str = "local"
    output: Output = "auto"
    price: Callable[[Usage], float | None] | None = None
    hook: Any = None
    on_event: Callable[[Any], None] | None = None
    clock: Clock | None = None
    model_factory: Callable[[], Any] | None = None
    ray_workers: int | None = None
    chunk_size: int = 32

    def check(self) -> None:
        """A `UserError` for each option out of range."""
        if self.concurrency < 1:
            raise UserError(f"concurrency must be 1 or more, got {self.concurrency}")
        if self.retries < 0:
            raise UserError(f"retries must be 0 or more, got {self.retries}")
        for name in ("rpm", "tpm"):
            value = getattr(self, name)
            if value is not None and value <= 0:
                raise UserError(f"{name} must be more than 0 (or None for no limit), got {value}")
        if self.rate_window <= 0:
            raise UserError(f"rate_window must be more than 0 seconds, got {self.rate_window}")
        if self.max_turns is not None and self.max_turns < 0:
            raise UserError(f"max_turns must be 0 or more, got {self.max_turns}")
        if self.backend == "asyncio":
            self.backend = "local"
        if self.backend not in ("local", "ray"):
            raise UserError(
                f"backend= is 'local' (asyncio, the default) or 'ray', not {self.backend!r}"
            )
        if self.chunk_size < 1:
            raise UserError(f"chunk_size must be 1 or more, got {self.chunk_size}")
        if self.backend == "ray" and self.clock is not None:
            raise UserError("clock= is for the local backend (tests); Ray workers use real time")
