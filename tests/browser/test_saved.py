"""Transcripts that survive saving (issue 10 point 7), in JupyterLab: saved and reopened with its
default settings (no widget state), a `%%agent` output is the rendered transcript, not "model not
found"; saved with widget state, it is the live view again."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest

from .conftest import Lab
from .test_view import _both_themes, _status, view_page  # noqa: F401  (a fixture)
from .xss_payloads import PAYLOADS

SAVE_STATE = "@jupyter-widgets/jupyterlab-manager:saveWidgetState"
SETUP = """
%load_ext rig_nb
import json
from rig_nb.testing import ScriptedModel, final
ANSWER = json.load(open("saved_answer.json"))
model = ScriptedModel([[ANSWER[i:i + 40] for i in range(0, len(ANSWER), 40)] + [final()]])
"""
ANSWER = (
    "## Plans compared\n\n| Plan | Price |\n|:--|--:|\n| Basic | 5 € |\n| Team | 20 € |\n\n"
    "**Team** is better for five or more seats.\n\n```python\nprint(20 / 10)\n```\n\n"
    "A seat costs $c = p / n$, so $5 and $10 a month.\n\n" + PAYLOADS[5]
)
ERRORS = "() => document.body.innerText.includes('model not found') || document.body.innerText.includes('Error displaying widget')"


def _set_save_state(lab: Lab, page: Any, on: bool) -> None:
    if page.evaluate("(c) => window.jupyterapp.commands.isToggled(c)", SAVE_STATE) != on:
        lab.command(page, SAVE_STATE)
        page.wait_for_function(
            "([c, on]) => window.jupyterapp.commands.isToggled(c) === on", arg=[SAVE_STATE, on]
        )


@pytest.fixture
def default_settings(lab: Lab, view_page: Any) -> Iterator[Any]:  # noqa: F811
    """JupyterLab's defaults: no widget state saved (the suite's lab saves it otherwise)."""
    lab.open(view_page, lab.write("settings", "1"))
    _set_save_state(lab, view_page, False)
    try:
        yield view_page
    finally:
        _set_save_state(lab, view_page, True)


def _run_and_save(lab: Lab, page: Any, name: str) -> dict[str, Any]:
    (lab.root / "saved_answer.json").write_text(json.dumps(ANSWER))
    path = lab.write(name, SETUP, "%%agent -m model\nCompare the plans.", 'print("CHECK", 1)')
    lab.open(page, path)
    lab.command(page, "notebook:run-all-cells")
    lab.output(page, "CHECK")
    page.wait_for_timeout(500)
    before = (lab.root / path).stat().st_mtime
    lab.command(page, "docmanager:save")
    for _ in range(100):
        if (lab.root / path).stat().st_mtime != before:
            break
        page.wait_for_timeout(100)
    page.wait_for_timeout(300)
    saved = json.loads((lab.root / path).read_text())
    lab.close_all()  # the kernel goes: its widgets with it
    lab.open(page, path)  # reopened, a new kernel
    page.wait_for_timeout(1500)
    return saved


def test_saved_with_jupyterlabs_defaults_it_reopens_as_the_rendered_transcript(
    lab: Lab, default_settings: Any
) -> None:
    page = default_settings
    saved = _run_and_save(lab, page, "saved_default")
    assert "widgets" not in saved["metadata"]  # JupyterLab's default: no widget state
    outputs = [o for o in saved["cells"][1]["outputs"] if "data" in o]
    assert [sorted(o["data"]) for o in outputs] == [["text/html", "text/plain"]]
    transcript = page.locator(".rig-nb-transcript").first
    transcript.wait_for(timeout=30_000)
    assert not page.evaluate(ERRORS)
    assert transcript.locator("table th").all_inner_texts() == ["Plan", "Price"]
    assert transcript.locator(".rig-md strong").first.inner_text() == "Team"
    assert "Compare the plans." in transcript.inner_text()  # the prompt, on top
    assert "print(20 / 10)" in transcript.locator("pre").first.inner_text()
    assert PAYLOADS[5] in transcript.inner_text()  # the payload is text
    assert page.evaluate("() => window.__pwned") is None
    # JupyterLab's MathJax typesets the formula, and only it: the prices stay text.
    transcript.locator("mjx-container").first.wait_for(timeout=30_000)
    assert transcript.locator("mjx-container").count() == 1
    assert "so $5 and $10 a month." in transcript.inner_text()
    _both_themes(lab, page, "view-saved-transcript", transcript)


def test_saved_with_widget_state_it_reopens_as_the_live_view(lab: Lab, view_page: Any) -> None:  # noqa: F811
    page = view_page
    lab.open(page, lab.write("settings_on", "1"))
    _set_save_state(lab, page, True)
    saved = _run_and_save(lab, page, "saved_state")
    state = saved["metadata"]["widgets"]["application/vnd.jupyter.widget-state+json"]["state"]
    holders = [m for m in state.values() if "esm" in m["state"]]
    assert len(holders) == 1  # the front end, once
    assert len(json.dumps(saved)) < 700_000
    outputs = [o for o in saved["cells"][1]["outputs"] if "data" in o]
    assert "application/vnd.jupyter.widget-view+json" in outputs[0]["data"]
    assert sorted(outputs[1]["data"]) == ["text/html"]  # the transcript beside it
    _status(page, "done")
    view = page.locator(".rig-nb").first
    assert not page.evaluate(ERRORS)
    assert view.locator(".rig-md table th").all_inner_texts() == ["Plan", "Price"]
    assert view.locator(".rig-prompt-text").inner_text() == "Compare the plans."
    # The transcript output is there for readers without widgets, hidden beside the live view.
    assert page.locator(".rig-nb-transcript").count() == 1
    assert page.locator(".rig-nb-transcript").is_hidden()
    assert page.evaluate("() => window.__pwned") is None
    _both_themes(lab, page, "view-saved-live", view)
