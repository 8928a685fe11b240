"""The models `%%agent -m vendor:model` cells build: one per spec, reused from cell to cell.

A model keeps its httpx client and its open connection, so a second cell sends its request at
once instead of building a client (and, against a real provider, a TLS handshake). The same
`vendor:model` with another key or base URL in the environment (or other settings) is another
spec: the new model replaces the old one, which is closed. Every model still open is closed when
the kernel shuts down and when the extension is unloaded.
"""

from __future__ import annotations

import atexit
import weakref
from typing import Any

__all__ = ["ModelCache"]


class ModelCache:
    """`vendor:model` string -> the model built for it, while its spec stays the same."""

    def __init__(self) -> None:
        self._models: dict[str, Any] = {}
        self._retired: list[Any] = []
        self._registered = False

    def __len__(self) -> int:
        return len(self._models)

    def get(self, ref: str) -> Any:
        """The model for `ref`: the cached one if its fingerprint holds, else a new one.

        Building a model is cheap (no client until its first call), so the candidate is built
        each time and compared; a replaced model is closed by `close_retired()`.
        """
        from ..providers import model  # here, not at the top: loading the magics imports no httpx

        candidate = model(ref)
        current = self._models.get(ref)
        if current is not None and current.fingerprint() == candidate.fingerprint():
            return current
        self._models[ref] = candidate
        if current is not None:
            self._retired.append(current)
        if not self._registered:
            self._registered = True
            # A weak reference: the cache (and its session) is never kept alive by atexit.
            atexit.register(_close_at_exit, weakref.ref(self))
        return candidate

    async def close_retired(self) -> None:
        """Close the models that were replaced."""
        retired, self._retired = self._retired, []
        for old in retired:
            await old.aclose()

    async def aclose(self) -> None:
        """Close every model on the running loop (its connections close there); empty after."""
        models = [*self._retired, *self._models.values()]
        self._models, self._retired = {}, []
        for found in models:
            await found.aclose()

    def close_sync(self) -> None:
        """Close every model (kernel shutdown, `%unload_ext rig_nb`); the cache is empty after."""
        models = [*self._retired, *self._models.values()]
        self._models, self._retired = {}, []
        for found in models:
            found.close_sync()


def _close_at_exit(ref: weakref.ReferenceType[ModelCache]) -> None:
    cache = ref()
    if cache is not None:
        cache.close_sync()
