"""rpm/tpm limits: counted per window on a fake clock, never by wall time."""

from __future__ import annotations

from typing import Any

import pytest

from rig_nb import Agent
from rig_nb.batch._limits import RateLimiter, RateWindow

from .helpers import EchoModel, FakeClock

pytestmark = pytest.mark.anyio


def most_in_any_window(times: list[float], window: float = 60.0) -> int:
    """The largest number of `times` inside any half-open window [t, t + window)."""
    times = sorted(times)
    return max(sum(1 for u in times if t <= u < t + window) for t in times)


def test_rpm_lets_n_calls_start_per_window_then_says_how_long_to_wait() -> None:
    window = RateWindow(rpm=3)
    assert [window.reserve(0.0)[1] for _ in range(3)] == [0.0, 0.0, 0.0]
    ticket, wait = window.reserve(10.0)
    assert ticket == 0 and wait == pytest.approx(50.0)
    assert window.reserve(59.9)[0] == 0
    assert window.reserve(60.0)[0] > 0  # the first call left the window


def test_tpm_counts_estimates_then_the_real_usage() -> None:
    window = RateWindow(tpm=100)
    tickets = [window.reserve(0.0, 25)[0] for _ in range(4)]
    assert all(tickets)
    assert window.reserve(1.0, 25) == (0, pytest.approx(59.0))
    window.settle(tickets[0], 5)  # it used far fewer tokens than estimated: 80 in the window
    assert window.reserve(1.0, 21)[0] == 0
    assert window.reserve(1.0, 20)[0] > 0
    window.settle(tickets[1], 90)  # and this one far more: the window is over its budget
    ticket, wait = window.reserve(2.0, 1)
    assert ticket == 0 and wait > 0
    assert window.reserve(60.0, 1)[0] > 0  # the calls of t=0 have left the window


def test_a_call_larger_than_tpm_runs_alone_and_a_pause_holds_everything() -> None:
    window = RateWindow(tpm=10)
    assert window.reserve(0.0, 50)[0] > 0  # would never fit: let through alone
    assert window.reserve(1.0, 1)[0] == 0
    window = RateWindow(rpm=100)
    window.pause(0.0, 30)
    assert window.reserve(10.0) == (0, pytest.approx(20.0))
    assert window.reserve(30.0)[0] > 0


def test_settle_after_the_call_left_the_window_changes_nothing() -> None:
    window = RateWindow(tpm=100)
    ticket, _ = window.reserve(0.0, 60)
    assert window.reserve(61.0, 90)[0] > 0  # the first left the window
    window.settle(ticket, 1000)  # settled late: not counted against the new window
    assert window.reserve(62.0, 10)[0] > 0


async def test_rpm_through_agent_map_holds_in_every_window_with_many_rows_in_flight() -> None:
    clock = FakeClock()
    calls: list[float] = []

    def record(prompt: str, call: int) -> None:
        calls.append(clock.now())

    agent = Agent(EchoModel(fail=record))
    table = await agent.map([f"p{i}" for i in range(35)], concurrency=8, rpm=10, clock=clock)
    assert (table.status == "ok").all()
    assert len(calls) == 35
    assert most_in_any_window(calls) == 10


async def test_rpm_is_not_stricter_than_asked() -> None:
    clock = FakeClock()
    calls: list[float] = []
    agent = Agent(EchoModel(fail=lambda p, c: calls.append(clock.now())))  # type: ignore[func-returns-value]
    await agent.map([f"p{i}" for i in range(25)], concurrency=1, rpm=10, clock=clock)
    start = calls[0]
    # 10 at once, the next 10 a window later, the last 5 two windows later
    assert [round(t - start) for t in calls] == [0] * 10 + [60] * 10 + [120] * 5


async def calls_per_window_when_each_call_uses(tokens: int) -> int:
    from rig_nb.core import RawFinal
    from rig_nb.testing import ScriptedResponse

    clock = FakeClock()
    times: list[float] = []

    class Reporting(EchoModel):
        async def _play(self, prompt: str) -> Any:
            times.append(clock.now())
            async for choice in super()._play(prompt):
                if isinstance(choice, RawFinal):
                    usage = choice.response.token_usage().model_copy(
                        update={"total_tokens": tokens}
                    )
                    choice = RawFinal(ScriptedResponse(usage=usage))
                yield choice

    agent = Agent(Reporting(), max_tokens=1)
    await agent.map([f"p{i}" for i in range(12)], concurrency=4, tpm=100, clock=clock)
    assert len(times) == 12
    return most_in_any_window(times)


async def test_tpm_is_corrected_by_the_usage_each_call_reports() -> None:
    heavy = await calls_per_window_when_each_call_uses(40)
    light = await calls_per_window_when_each_call_uses(1)
    # the same estimate before each call; what the calls really used decides what else fits
    assert heavy * 40 <= 100 + 40 * 4  # at most the calls already in flight overshoot
    assert light > heavy


async def test_the_limiter_records_grants_for_inspection() -> None:
    clock = FakeClock()
    limiter = RateLimiter(rpm=2, clock=clock)
    limiter.record = True
    for _ in range(5):
        await limiter.acquire()
    assert [t - 1000 for t in limiter.granted] == [0, 0, 60, 60, 120]
