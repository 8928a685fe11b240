"""`backend="ray"`: the same table as the local backend, errors and histories intact, limits
shared by every worker. One Ray session (2 CPUs, no dashboard) for the module."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from rig_nb import Agent, UserError
from rig_nb.errors import ProviderHTTPError, StreamingError

from .helpers import EchoModel

pytestmark = [
    pytest.mark.anyio,
    pytest.mark.slow,
    # a Ray start that timed out (a loaded machine: Ray waits 30 s for its raylet) leaves a
    # Popen behind; the next attempt is the test
    pytest.mark.filterwarnings(
        "ignore:Exception ignored in. <function Popen.__del__:pytest.PytestUnraisableExceptionWarning"
    ),
]
ray = pytest.importorskip("ray")


@pytest.fixture(scope="module")
def ray_session() -> Iterator[None]:
    for attempt in range(3):
        try:
            ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)
            break
        except Exception:
            ray.shutdown()
            if attempt == 2:
                raise
    try:
        yield
    finally:
        ray.shutdown()


def fail(prompt: str, call: int) -> BaseException | None:
    if prompt.endswith("7"):
        return ProviderHTTPError(provider="p", status_code=400, provider_message="no")
    return None


COLUMNS = ["status", "prompt", "response", "error_type", "total_tokens", "attempts"]


async def test_ray_results_equal_local_results(ray_session: None, tmp_path: Path) -> None:
    prompts = [f"row {i}" for i in range(40)]
    agent = Agent(EchoModel(fail=fail), preamble="label")
    local = await agent.map(prompts, concurrency=8)
    remote = await agent.map(prompts, concurrency=8, backend="ray", chunk_size=6)
    assert remote[COLUMNS].equals(local[COLUMNS])
    assert list(remote.history) == list(local.history)
    for index in (7, 17):
        error: Any = remote.error[index]
        assert isinstance(error, ProviderHTTPError) and isinstance(error, StreamingError)
        assert str(error) == str(local.error[index])
        assert error.chat_history == local.error[index].chat_history
        assert error.status_code == 400


async def test_ray_writes_the_cache_and_resumes(ray_session: None, tmp_path: Path) -> None:
    agent = Agent(EchoModel(fail=fail))
    first = await agent.map([f"q{i}" for i in range(10)], backend="ray", cache=tmp_path)
    assert list(first.status).count("failed") == 1
    second = await agent.map([f"q{i}" for i in range(10)], cache=tmp_path)  # local, same cache
    assert second.cached.sum() == 9 and second.status[7] == "failed"


async def test_rpm_holds_across_workers(ray_session: None) -> None:
    # the shared actor records when it let each call through; a 1 s window keeps this short
    agent = Agent(EchoModel())
    run = agent.map(
        [f"r{i}" for i in range(9)], backend="ray", rpm=4, rate_window=1.0, chunk_size=3,
        ray_workers=2,
    )  # fmt: skip
    run.record_grants = True
    table = await run
    assert (table.status == "ok").all()
    granted = run.grants
    assert len(granted) == 9
    # at most 4 calls start in any 1 s window, whichever worker made them
    most = max(sum(1 for u in granted if t <= u < t + 1.0) for t in granted)
    assert most == 4


async def test_a_model_that_cannot_reach_workers_says_what_to_pass(ray_session: None) -> None:
    import threading

    class Unpicklable(EchoModel):
        def __init__(self) -> None:
            super().__init__()
            self.lock = threading.Lock()

    with pytest.raises(UserError, match="pass model_factory="):
        await Agent(Unpicklable()).map(["a"], backend="ray")
    table = await Agent(Unpicklable()).map(["a"], backend="ray", model_factory=EchoModel)
    assert table.response[0] == "echo a"


def _slow_after_eleven(prompt: str) -> float:
    return 30.0 if int(prompt[1:]) >= 12 else 0.05


async def test_stop_ends_the_ray_tasks_in_flight_and_keeps_every_row_that_finished(
    ray_session: None, tmp_path: Path
) -> None:
    """Stop is cooperative (a flag the tasks poll; `ray.cancel` can crash the driver, ray#54798):
    a task in flight cancels its rows and returns the rows of its chunk that finished. Rows 0-9
    (one chunk) and 10-11 answer at once; 12 and on take 30 s, so a Stop that waited for them, or
    for the driver's 10 s grace, would show here as a batch of about 30 or 10 s."""
    agent = Agent(EchoModel(delay_for=_slow_after_eleven))
    run = agent.map(
        [f"s{i}" for i in range(40)], backend="ray", chunk_size=10, ray_workers=2, concurrency=4,
        cache=tmp_path,
    )  # fmt: skip

    def stop_at_the_first_chunk(event: Any) -> None:
        if event.kind == "row_done":
            run.stop("enough")

    run.subscribe(stop_at_the_first_chunk)
    started = time.monotonic()
    table = await run
    took = time.monotonic() - started
    assert list(table.status) == ["ok"] * 12 + ["pending"] * 28  # rows 10, 11 from the 2nd chunk
    assert took < 8, took
    assert run.progress.running == 0
    again = await Agent(EchoModel()).map([f"s{i}" for i in range(40)], cache=tmp_path)
    assert list(again.cached) == [True] * 12 + [False] * 28
