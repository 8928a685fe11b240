"""In a real ipykernel (jupyter_client, no browser): a traceback, an output, a figure of the inline
backend and a DataFrame reach the model from a `%%agent` cell; run_python waits for a click on a
card that shows its code, runs in the user's namespace, and its figure reaches the model."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from ..magics.kernel import Kernel

SETUP = """
%load_ext rig_nb
%matplotlib inline
import matplotlib.pyplot as plt
import pandas as pd
from rig_nb.testing import ScriptedModel, final, tool_call
"""


@pytest.fixture(scope="module")
def kernel() -> Iterator[Kernel]:
    running = Kernel()
    try:
        ran = running.run(SETUP)
        assert not ran.errors, ran
        yield running
    finally:
        running.close()


def test_err_out_a_figure_and_a_frame_reach_the_model(kernel: Kernel) -> None:
    failed = kernel.run("def load():\n    return {}['prices']\nload()")
    assert failed.errors and failed.errors[0]["ename"] == "KeyError"
    kernel.run("df = pd.DataFrame({'city': ['Paris', 'Rome'], 'temp': [21, 25]})\ndf.temp.max()")
    kernel.run("fig, ax = plt.subplots(figsize=(2, 1))\nax.plot([1, 2]);")
    kernel.run("m = ScriptedModel([['Fixed.', final()]])")
    ran = kernel.run("%%agent -m m --no-widget\nWhy?\n{Err[-1]}\nMax: {Out[-1]}\n{df}\n{fig}")
    assert not ran.errors and "Fixed." in ran.stdout
    parts = kernel.value("[type(p).__name__ for p in m.requests[0].chat_history[-1].content]")
    assert parts == ["Text", "Image"]
    text = kernel.value("m.requests[0].chat_history[-1].content[0].text")
    assert "KeyError: 'prices'" in text and "return {}['prices']" in text and "\x1b[" not in text
    assert "Max: 25" in text
    assert "pandas DataFrame: 2 rows x 2 columns" in text
    assert "[image 1: fig: matplotlib Figure, " in text


def test_run_python_waits_for_a_click_then_runs_in_the_namespace(kernel: Kernel) -> None:
    code = "plt.figure(figsize=(2, 1))\nplt.plot(prices)\ntotal = sum(prices)\ntotal"
    kernel.run(
        "prices = [3, 4, 5]\n"
        f"m = ScriptedModel([[tool_call('run_python', {{'code': {code!r}}}), final()],"
        " ['The total is 12.', final()]])"
    )
    seen: dict[str, Any] = {}

    def on_state(k: Kernel, comm_id: str, state: dict[str, Any]) -> None:
        if "rendered" not in seen:
            seen["rendered"] = True
            k.render(comm_id)
        for block in state.get("blocks", []):
            if block["kind"] == "tool" and block["status"] == "waiting" and "card" not in seen:
                seen["card"] = block
                k.click(comm_id, kind="approve", id=block["id"], reason="")

    ran = kernel.run("%%agent -m m --kernel-tools --approve auto --new\nTotal?", on_state=on_state)
    assert not ran.errors, ran.errors
    card = seen["card"]
    assert card["name"] == "run_python"
    assert card["code"] == {"language": "python", "text": code}
    done = next(b for b in ran.last_state["blocks"] if b["kind"] == "tool")
    assert done["status"] == "done"
    assert done["result"]["text"].startswith("result:\n12\nnew figure: matplotlib Figure")
    assert len(done["result"]["images"]) == 1
    assert kernel.value("total") == 12
    sent = kernel.value(
        "[type(c).__name__ for c in m.requests[1].chat_history[-1].content[0].content]"
    )
    assert sent == ["Text", "Image"]  # the model saw the figure it drew
