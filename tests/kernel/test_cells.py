"""`CellHistory`: In/Out/Err by number and counted back from the running cell."""

from __future__ import annotations

import sys
from types import SimpleNamespace
from typing import Any

import pytest

from rig_nb.errors import UserError
from rig_nb.kernel import Budget, CellHistory


def fake_shell(*, running: int | None, stored: bool, exceptions: Any = ...) -> Any:
    """Cells 1-4 ran; cell 5 (`running`) is the one reading them when it is stored."""
    history = SimpleNamespace(
        input_hist_raw=["", "a = 1", "a", "1/0", "b = 2", "%%agent\n{In[-1]}"][
            : 6 if stored else 5
        ],
        output_hist={2: 1},
    )
    if exceptions is not ...:
        history.exceptions = exceptions
    result = None
    if running is not None:
        info = SimpleNamespace(store_history=stored)
        result = SimpleNamespace(execution_count=running, info=info)
    count = running + 1 if stored and running is not None else 5
    return SimpleNamespace(
        history_manager=history,
        displayhook=SimpleNamespace(exec_result=result),
        execution_count=count,
    )


ERR = {
    3: {
        "ename": "ZeroDivisionError",
        "evalue": "x",
        "traceback": ["\x1b[31mTrace\x1b[0m", "ZeroDivisionError: x"],
    }
}


@pytest.mark.parametrize("stored", [True, False])
def test_negative_indexes_count_back_from_the_cell_before_this_one(stored: bool) -> None:
    cells = CellHistory(fake_shell(running=5, stored=stored, exceptions=ERR))
    assert cells.read("In", -1) == "b = 2"
    assert cells.read("In", -4) == "a = 1"
    assert cells.read("Out", -1) == 1
    assert cells.read("Err", -1) == "Trace\nZeroDivisionError: x"
    assert cells.read("In", 3) == "1/0"
    with pytest.raises(
        UserError, match=r"there are 4 entries before this cell \(cells with an input: 1, 2, 3, 4\)"
    ):
        cells.read("In", -5)
    with pytest.raises(UserError, match=r"cell 0 has no input"):
        cells.read("In", 0)
    with pytest.raises(UserError, match=r"cell 4 has no output \(cells with an output: 2\)"):
        cells.read("Out", 4)
    with pytest.raises(UserError, match="Foo is not a cell reference"):
        cells.read("Foo", 1)


def test_long_code_keeps_its_head_and_long_tracebacks_their_tail() -> None:
    shell = fake_shell(
        running=5,
        stored=True,
        exceptions={3: {"traceback": ["frame\n" * 200, "ValueError: the end"]}},
    )
    shell.history_manager.input_hist_raw[4] = "x = 1\n" * 200
    cells = CellHistory(shell, Budget(chars=200))
    code = cells.read("In", 4)
    assert code.startswith("x = 1\n") and code.endswith("more characters cut]")
    trace = cells.read("Err", 3)
    assert trace.startswith("frame\nframe") and trace.endswith("ValueError: the end")
    assert "more characters cut]" in trace and len(trace) < 260


def test_an_ipython_without_exception_records_gives_the_last_traceback(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    cells = CellHistory(fake_shell(running=5, stored=True))
    try:
        raise KeyError("missing")
    except KeyError as exc:
        monkeypatch.setattr(sys, "last_value", exc, raising=False)
    text = cells.read("Err", -1)
    assert text.startswith("Traceback (most recent call last):") and text.endswith(
        "KeyError: 'missing'"
    )
    with pytest.raises(UserError, match=r"keeps only the last traceback; use \{Err\[-1\]\}"):
        cells.read("Err", 3)
    monkeypatch.delattr(sys, "last_value", raising=False)
    with pytest.raises(UserError, match="no cell has raised an exception yet"):
        cells.read("Err", -1)
