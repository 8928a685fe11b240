"""Where a batch writes its rows as they finish: an append-only JSON-lines file.

With `cache=DIR`, the file is `DIR/<fingerprint>/rows.jsonl`, where the fingerprint hashes what
decides an answer: the model (its class, name and base URL, never the key), the parameters, the
tools (names and schemas), the preamble, the output schema and the turn budget. A row's key adds
its prompt. A re-run with the same agent skips every row whose key has an `ok` line: only the rows
that failed or never ran run again.

Each row is one `write()` of one line, as soon as it finishes: a killed process (SIGKILL, a kernel
restart) loses only the rows in flight. The file is fsynced at most once a second and when the
batch ends, so a power cut loses at most the last second. A torn last line (a kill in the middle
of a write) and any line that is not a whole JSON object are skipped when reading, with a warning;
their rows run again. One batch at a time owns a fingerprint's directory (a lock the OS releases
when the process dies); a second one is refused with a `UserError`.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import os
import shutil
import tempfile
import time
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from ..core import Agent, AnyMessage, model_identity
from ..errors import UserError

__all__ = ["Store", "fingerprint", "row_key"]

logger = logging.getLogger("rig_nb.batch")


def fingerprint(
    agent: Agent, *, max_turns: int, salt: str | None = None
) -> tuple[str, dict[str, Any]]:
    """The hash of what decides an answer, and the description it hashes (`meta.json`)."""
    tools = [
        {"name": d.name, "description": d.description, "parameters": d.parameters}
        for d in agent.tools.definitions("")
    ]
    described: dict[str, Any] = {
        "model": model_identity(agent.model),
        "preamble": agent.preamble,
        "context": [[d.id, d.text] for d in agent.static_context],
        "tools": tools,
        "temperature": agent.temperature,
        "max_tokens": agent.max_tokens,
        "additional_params": agent.additional_params,
        "tool_choice": None
        if agent.tool_choice is None
        else json.loads(json.dumps(agent.tool_choice, default=_dump)),
        "output_schema": agent.output_schema,
        "max_turns": max_turns,
        "hook": None if agent.hook is None else type(agent.hook).__qualname__,
        "salt": salt,
    }
    text = json.dumps(described, sort_keys=True, default=_dump, ensure_ascii=False)
    return hashlib.sha256(text.encode()).hexdigest()[:24], described


def _dump(value: Any) -> Any:
    dump = getattr(value, "model_dump", None)
    return dump(mode="json") if callable(dump) else repr(value)


def row_key(fingerprint: str, prompt: AnyMessage) -> str:
    """A row's cache key: the fingerprint and the prompt."""
    text = f"{fingerprint}\n{prompt.model_dump_json()}"
    return hashlib.sha256(text.encode()).hexdigest()[:32]


class Store:
    """The rows file of one batch: `append` as rows finish, `read` them back."""

    def __init__(self, directory: Path, *, durable: bool, temporary: bool = False) -> None:
        self.directory = directory
        self.path = directory / "rows.jsonl"
        self.durable = durable
        self.temporary = temporary
        self.skipped = 0
        """Lines that were not whole JSON objects (a torn or corrupted line) when last read."""
        self._fd: int | None = None
        self._lock: Any = None
        self._synced = 0.0

    @staticmethod
    def cache(root: str | os.PathLike[str], fp: str, described: dict[str, Any]) -> Store:
        """The store of fingerprint `fp` under the cache directory `root`, locked."""
        directory = Path(root) / fp
        directory.mkdir(parents=True, exist_ok=True)
        store = Store(directory, durable=True)
        store._take_lock()
        meta = directory / "meta.json"
        if not meta.exists():
            tmp = directory / f".meta.{os.getpid()}.tmp"
            tmp.write_text(json.dumps(described, indent=2, default=_dump, ensure_ascii=False))
            os.replace(tmp, meta)
        return store

    @staticmethod
    def spool() -> Store:
        """A temporary store for a batch without `cache=` (removed by `close`)."""
        return Store(Path(tempfile.mkdtemp(prefix="rig_nb-batch-")), durable=False, temporary=True)

    def _take_lock(self) -> None:
        from filelock import FileLock, Timeout

        lock = FileLock(str(self.directory / "lock"), timeout=0)
        try:
            lock.acquire()
        except Timeout:
            raise UserError(
                f"the batch cache {self.directory} is in use by another batch of the same agent "
                "(in this process or another); wait for it to end, or give this one another "
                "cache= directory"
            ) from None
        self._lock = lock

    def open(self) -> None:
        """Open for appending; a torn last line is closed off first so no row glues to it."""
        fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
        size = os.fstat(fd).st_size
        if size:
            with open(self.path, "rb") as f:
                f.seek(size - 1)
                if f.read(1) != b"\n":
                    os.write(fd, b"\n")
        self._fd = fd
        self._synced = time.monotonic()

    def append(self, line: str) -> None:
        """Write one row, a JSON object on one line (`encode_row`), now."""
        if self._fd is None:
            self.open()
        assert self._fd is not None
        data = (line + "\n").encode()
        view = memoryview(data)
        while view:
            view = view[os.write(self._fd, view) :]
        if self.durable and time.monotonic() - self._synced >= 1.0:
            os.fsync(self._fd)
            self._synced = time.monotonic()

    def lines(self) -> Iterable[tuple[dict[str, Any], bytes]]:
        """Every whole row line (parsed, and as written), in file order.

        Torn or corrupted lines are counted and skipped.
        """
        self.skipped = 0
        if not self.path.exists():
            return
        with open(self.path, "rb") as f:
            for number, raw in enumerate(f, 1):
                if not raw.endswith(b"\n"):
                    self._skip(number, "a torn last line (a write cut off by a kill)")
                    break
                if raw == b"\n":
                    continue
                try:
                    record = json.loads(raw)
                except ValueError:
                    self._skip(number, "not JSON")
                    continue
                if not isinstance(record, dict) or "key" not in record or "status" not in record:
                    self._skip(number, "not a row")
                    continue
                yield record, raw

    def _skip(self, number: int, why: str) -> None:
        self.skipped += 1
        logger.warning("%s line %d skipped: %s; its row runs again", self.path, number, why)

    def done_keys(self) -> set[str]:
        """Keys of the rows answered in earlier runs."""
        return {r["key"] for r, _ in self.lines() if r["status"] == "ok"}

    def latest(self, keys: set[str]) -> dict[str, bytes]:
        """For each of `keys`, its last `ok` line, else its last line.

        As written (bytes): the table decodes one row at a time, so reading back never holds
        every row parsed and decoded at once.
        """
        found: dict[str, tuple[bool, bytes]] = {}
        for record, raw in self.lines():
            key = record["key"]
            if key not in keys:
                continue
            ok = record["status"] == "ok"
            if ok or not found.get(key, (False, b""))[0]:
                found[key] = (ok, raw)
        return {key: raw for key, (_, raw) in found.items()}

    def close(self) -> None:
        """Flush to disk, release the lock, remove a temporary store."""
        if self._fd is not None:
            if self.durable:
                os.fsync(self._fd)
            os.close(self._fd)
            self._fd = None
        if self._lock is not None:
            self._lock.release()
            self._lock = None

    def remove(self) -> None:
        """Delete a temporary store."""
        if self.temporary:
            with contextlib.suppress(OSError):
                shutil.rmtree(self.directory)
