"""`%%agent --record PATH` and `--replay PATH`: a cell's model recorded to or played from a file.

A user records a notebook once with a key (`--record`), then runs it offline, in CI under nbval,
with `--replay`: the cell's `-m` model is then never made, so no key is needed. The first
`--record` cell of a kernel writes the cassette anew; its later cells add to it.
"""

from __future__ import annotations

import copy
from typing import Any

from IPython.core.error import UsageError

from ..core import Agent

__all__ = ["recording", "replay_model", "replaying"]

_RECORDED: set[str] = set()
"""Cassettes this kernel started: its first `--record` cell overwrites, the next ones append."""


def replay_model(path: str) -> Any:
    """The model answering from the cassette at `path`; a missing or bad one is a `UsageError`."""
    from ..testing import CassetteError, ReplayModel

    try:
        return ReplayModel(path)
    except CassetteError as exc:
        raise UsageError(str(exc)) from exc


def replaying(agent: Agent, model: Any) -> Agent:
    """A copy of `agent` (never the user's own object) answering from `model`."""
    agent = copy.copy(agent)
    agent.model = model
    return agent


def recording(agent: Agent, path: str) -> Agent:
    """A copy of `agent` whose model's exchanges are written to the cassette at `path`."""
    from ..testing import RecordingModel

    model = RecordingModel(agent.model, path, append=path in _RECORDED)
    _RECORDED.add(path)
    return replaying(agent, model)
