"""Approvals for real work and a view people want to read, in JupyterLab (issue 10 points 3, 4, 8,
9, 10): the system prompt, parallel calls with Approve all / Skip all, edit before approving,
why each card ran or didn't, and Insert as new cell. Screenshots in light and dark themes."""

from __future__ import annotations

import json
from typing import Any

from .conftest import Lab
from .test_view import _both_themes, _status, view_page  # noqa: F401  (a fixture)
from .xss_payloads import PAYLOADS

PARALLEL = """
%load_ext rig_nb
import json
from rig_nb import tool
from rig_nb.testing import ScriptedModel, final, tool_call

deleted = []
SYSTEM = "You tidy folders carefully.\\n" + "\\n".join(json.load(open("xss_payloads.json"))[:12])

@tool
def delete_file(path: str, force: bool = False) -> str:
    \"\"\"Delete a file.\"\"\"
    deleted.append(path + (" (forced)" if force else ""))
    return f"deleted {path}"

def script():
    calls = [tool_call("delete_file", {"path": p}, id=f"c{i}") for i, p in enumerate(["a.txt", "b.txt", "c.txt"])]
    return ScriptedModel([["Three files to delete. ", *calls, final()], ["Done.", final()]])
model, model2 = script(), script()
"""


def _cards(page: Any, view: int = 0) -> list[dict[str, Any]]:
    return page.evaluate(
        """(i) => [...document.querySelectorAll('.rig-nb')[i].querySelectorAll('.rig-tool')].map(c => ({
            status: c.className.replace(/.*rig-tool-(\\w+).*/, '$1'),
            text: c.querySelector('.rig-tool-status').textContent,
            decision: c.dataset.decision || null,
            approve: c.querySelectorAll('.rig-approve').length,
            labels: [...c.querySelectorAll('.rig-args-label')].map(l => l.textContent),
            args: [...c.querySelectorAll('.rig-tool-args')].map(a => a.textContent),
        }))""",
        view,
    )


def test_parallel_calls_edit_before_approving_and_why_each_card_ran(
    lab: Lab,
    view_page: Any,  # noqa: F811
) -> None:
    page = view_page
    (lab.root / "xss_payloads.json").write_text(json.dumps(PAYLOADS))
    path = lab.write(
        "work",
        PARALLEL,
        "%%agent -m model -t delete_file --approve ask -s SYSTEM\nTidy up.",
        'print("CHECK", deleted)',
        "%%agent -m model2 -t delete_file --approve ask --new\nAgain.",
        'print("CHECK2", deleted)',
    )
    lab.open(page, path)
    lab.command(page, "notebook:run-all-cells")
    view = page.locator(".rig-nb").first
    # Point 8: all three calls wait at once, each with its buttons, and the bulk bar.
    page.wait_for_function(
        "() => document.querySelectorAll('.rig-nb')[0]?.querySelectorAll('.rig-tool-waiting .rig-approve').length === 3",
        timeout=30_000,
    )
    assert view.locator(".rig-bulk-label").inner_text() == "3 tool calls wait for you"
    # Point 3: the system prompt, collapsed, above the prompt, as text (no payload ran).
    system = view.locator(".rig-system")
    assert system.get_attribute("open") is None
    system.locator("summary").click()
    assert PAYLOADS[5] in view.locator(".rig-system-text").inner_text()
    assert view.locator(".rig-system img, .rig-system script").count() == 0
    system.locator("summary").click()
    _both_themes(lab, page, "view-parallel", view)

    # Point 9: edit the first call; a bad edit is refused in the browser, a good one runs.
    first = view.locator(".rig-tool").nth(0)
    first.locator(".rig-edit-button").click()
    editor = first.locator(".rig-edit-args")
    editor.fill('{"path": 7}')
    assert first.locator(".rig-approve").is_disabled()
    assert "path" in first.locator(".rig-edit-problems").inner_text()
    editor.fill('{"path": "a-old.txt", "force": true}')
    approve = first.locator(".rig-approve")
    page.wait_for_function("(b) => !b.disabled", arg=approve.element_handle())
    assert approve.inner_text() == "Approve with edits"
    _both_themes(lab, page, "view-edit", first)
    # Answers in any order: the third first (queued), the second skipped, then the edited first.
    view.locator(".rig-tool").nth(2).locator(".rig-approve").click()
    page.wait_for_function(
        "() => document.querySelector('.rig-nb').querySelectorAll('.rig-tool')[2].classList.contains('rig-tool-queued')"
    )
    second = view.locator(".rig-tool").nth(1)
    second.locator(".rig-reason").fill("keep b")
    second.locator(".rig-skip").click()
    first.locator(".rig-approve").click()
    assert "CHECK ['a-old.txt (forced)', 'c.txt']" in lab.output(page, "CHECK ")
    _status(page, "done")
    cards = _cards(page)
    assert [c["status"] for c in cards] == ["done", "skipped", "done"]
    assert [c["decision"] for c in cards] == ["approved", "skipped", "approved"]
    assert cards[0]["text"] == "done: approved by you: with edited arguments"
    assert cards[1]["text"] == "skipped: skipped by you: keep b"
    # Point 9: the card shows both what the model asked and what ran.
    assert cards[0]["labels"] == ["the model asked for", "ran with"]
    assert json.loads(cards[0]["args"][0]) == {"path": "a.txt"}
    assert json.loads(cards[0]["args"][1]) == {"path": "a-old.txt", "force": True}
    _both_themes(lab, page, "view-decisions", view)

    # Point 8: Approve all answers every waiting call of the next cell.
    page.wait_for_function(
        "() => document.querySelectorAll('.rig-nb')[1]?.querySelectorAll('.rig-tool-waiting').length === 3",
        timeout=30_000,
    )
    page.locator(".rig-nb").nth(1).locator(".rig-approve-all").click()
    assert "a.txt', 'b.txt', 'c.txt']" in lab.output(page, "CHECK2")
    _status(page, "done", 1)
    assert [c["text"] for c in _cards(page, 1)] == ["done: approved by you: approve all"] * 3
    assert page.evaluate("() => window.__pwned") is None


INSERT = """
%load_ext rig_nb
from rig_nb.testing import Delay, ScriptedModel, final
ANSWER = "Run this:\\n\\n```python\\nimport math\\nprint(math.pi)\\n```\\n\\nor in a shell:\\n\\n```bash\\nls -la\\n```\\n"
model = ScriptedModel([[ANSWER, Delay(30), final()], [ANSWER, final()]])
"""


def _sources(page: Any) -> list[str]:
    return page.evaluate(
        "() => window.jupyterapp.shell.currentWidget.content.model.sharedModel.cells.map(c => c.getSource())"
    )


def test_insert_as_new_cell_while_the_cell_runs_and_after(lab: Lab, view_page: Any) -> None:  # noqa: F811
    page = view_page
    path = lab.write(
        "insert",
        INSERT,
        "%%agent -m model\nShow me pi.",
        "%%agent -m model\nAgain.",
        'print("LAST")',
    )
    lab.open(page, path)
    lab.command(page, "notebook:run-all-cells")
    view = page.locator(".rig-nb").first
    # While the cell still runs (the model waits 30 s before its final event).
    button = view.locator(".rig-insert-cell")
    button.wait_for(timeout=30_000)
    assert view.locator(".rig-insert-cell").count() == 1  # Python only, not the bash block
    _status(page, "running")
    button.click()
    page.wait_for_function("(b) => b.textContent === 'Inserted ✓'", arg=button.element_handle())
    sources = _sources(page)
    assert sources[2] == "import math\nprint(math.pi)", sources
    assert sources[1].startswith("%%agent -m model\nShow me pi.")
    _both_themes(lab, page, "view-insert-cell", view)
    lab.command(page, "notebook:interrupt-kernel")
    _status(page, "cancelled")
    # After a run: the second agent cell (now the fourth cell; Run All stopped at the
    # interrupt) inserts below itself.
    lab.run_cell(page, 3)
    _status(page, "done", 1)
    page.locator(".rig-nb").nth(1).locator(".rig-insert-cell").click()
    sources = _sources(page)
    assert sources[3].startswith("%%agent -m model\nAgain.")
    assert sources[4] == "import math\nprint(math.pi)", sources
    assert sources[5] == 'print("LAST")'
