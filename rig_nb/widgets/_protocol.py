"""The messages between the kernel and the browser (the front end's side is js/src/protocol.js)."""

from __future__ import annotations

from typing import Literal, TypedDict

__all__ = ["FrontEndMessage"]


class FrontEndMessage(TypedDict, total=False):
    """What the browser sends: a button click."""

    kind: Literal["approve", "skip", "terminate", "stop", "always_allow"]
    id: str
    reason: str
