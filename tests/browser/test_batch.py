"""`%%agent --over` in JupyterLab (issue 13 point 3): one live view of a batch, its approval for
every row, the failures you can open, Stop keeping what finished, the tab title, contrast in both
themes, no payload from a row running. Screenshots: `artifacts/screenshots/batch-*-{light,dark}.png`."""

from __future__ import annotations

import json
from typing import Any

from .conftest import SCREENSHOTS, Lab
from .test_view import CONTRAST, _both_themes, _theme, view_page  # noqa: F401  (a fixture)
from .xss_payloads import PAYLOADS

SETUP = """
%load_ext rig_nb
import asyncio, json
import pandas as pd
from rig_nb import tool
from rig_nb.core import RawText
from rig_nb.testing import final, tool_call

PAYLOADS = json.load(open("xss_payloads.json"))

class Rows:
    model_name = "rows"
    def stream(self, request):
        return self._play(request)
    async def _play(self, request):
        await asyncio.sleep(0.05)
        prompt = request.chat_history[0].content[0].text
        if "boom" in prompt:
            raise ValueError("row broke: " + prompt)
        if len(request.chat_history) == 1:
            yield tool_call("delete_row", {"row": prompt[-40:]})
        else:
            yield RawText("done")
        yield final(input_tokens=7, output_tokens=2, total_tokens=9)

deleted = []

@tool
def delete_row(row: str) -> str:
    \"\"\"Delete a row.\"\"\"
    deleted.append(row)
    return "deleted"

titles = [(PAYLOADS[(i + 50) % len(PAYLOADS)] + " boom") if i % 10 == 3 else f"ticket {i}" for i in range(400)]
tickets = pd.DataFrame({"title": titles}, index=[f"T{i}" for i in range(400)])
model = Rows()
"""

CELL = "%%agent -m model -t delete_row --over tickets --out res --concurrency 4\nHandle {title}"


def _stats(page: Any) -> str:
    return page.locator(".rig-batch .rig-batch-stats").inner_text()


def _done(page: Any) -> int:
    return int(_stats(page).split(" / ")[0].replace(",", ""))


def test_a_batch_view_asks_once_shows_failures_and_stops_keeping_the_finished_rows(
    lab: Lab,
    view_page: Any,  # noqa: F811
) -> None:
    page = view_page
    (lab.root / "xss_payloads.json").write_text(json.dumps(PAYLOADS))
    path = lab.write(
        "batch", SETUP, CELL, 'print("CHECK", res.status.value_counts().to_dict(), len(deleted))'
    )
    lab.open(page, path)
    lab.command(page, "notebook:run-all-cells")
    view = page.locator(".rig-batch").first
    # One question for the whole batch, with the tool's arguments; the tab title says it waits.
    page.wait_for_selector(".rig-batch .rig-batch-approval", timeout=30_000)
    assert view.locator(".rig-batch-approval").count() == 1
    assert "delete_row" in view.locator(".rig-batch-approval").inner_text()
    page.wait_for_function("() => document.title.startsWith('⏸ approval')", timeout=10_000)
    assert _done(page) == 0  # every row waits for the one answer
    _both_themes(lab, page, "batch-approval", view)
    view.get_by_text("Approve for all rows").click()
    page.wait_for_function("() => !document.title.startsWith('⏸')", timeout=10_000)
    # Rows go on: progress, tokens, pace; failures arrive, each opening onto its prompt.
    page.wait_for_function(
        "() => { const s = document.querySelector('.rig-batch .rig-batch-stats'); "
        "return s && Number(s.textContent.split(' / ')[0].replace(/,/g, '')) >= 40; }",
        timeout=60_000,
    )
    stats = _stats(page)
    assert " / 400 rows" in stats and "rows/s" in stats and "ETA" in stats, stats
    assert (
        view.locator(".rig-batch-decision").inner_text()
        == "delete_row: approved for all rows by you"
    )
    failure = view.locator(".rig-batch-failure").first
    failure.locator("summary").click()
    opened = failure.inner_text()
    assert "ModelError" in opened and PAYLOADS[53] in opened, opened  # the payload, as text
    assert view.locator("img, script, iframe, svg, a, [onerror]").count() == 0
    _both_themes(lab, page, "batch-running", view)
    # Stop: no new row starts, rows in flight end, the finished rows land in `res`.
    view.locator(".rig-batch-stop").click()
    check = lab.output(page, "CHECK")
    counts = json.loads(check.split("CHECK ", 1)[1].rsplit(" ", 1)[0].replace("'", '"'))
    assert counts["pending"] > 0 and 40 <= counts["ok"] < 400, counts
    assert int(check.rsplit(" ", 1)[1]) >= counts["ok"]  # the approval held for every row
    # The batch over, JupyterLab (saving no widget state by default) shows the saved summary in
    # place of the live view: the counts, the decision, the failures (text), the ending.
    saved = page.locator(".rig-batch-saved").first
    saved.wait_for(timeout=10_000)
    assert page.locator(".rig-batch").count() == 0
    text = saved.inner_text()
    finished = counts["ok"] + counts.get("failed", 0)
    assert f"Stopped by you: {finished} of 400 rows finished, kept in res" in text, text
    assert f"{counts['ok']} / 400 rows · {counts.get('failed', 0)} failed" in text, text
    assert "delete_row: approved for every row by you" in text
    assert PAYLOADS[53] in text  # row T3's `$\\text{<img ...>}$`: text, not typeset as math
    assert saved.locator("mjx-container, .MathJax, .katex").count() == 0
    saved.locator("details").first.locator("summary").click()
    assert PAYLOADS[53] in saved.locator("details").first.inner_text()
    _both_themes(lab, page, "batch-stopped", saved)
    # Nothing from a row ran, in any frame.
    assert [f.evaluate("() => window.__pwned") for f in page.frames] == [None] * len(page.frames)
    assert saved.locator("img, script, iframe, svg, a, [onerror]").count() == 0


def test_the_batch_view_meets_wcag_aa_in_both_themes_and_fits_520px(
    lab: Lab,
    view_page: Any,  # noqa: F811
) -> None:
    page = view_page
    (lab.root / "xss_payloads.json").write_text(json.dumps(PAYLOADS))
    cell = CELL.replace("--concurrency 4", "--concurrency 2 --approve ask")
    lab.open(page, lab.write("batch_contrast", SETUP, cell))
    lab.command(page, "notebook:run-all-cells")
    page.wait_for_selector(".rig-batch .rig-batch-approval", timeout=30_000)
    start = CONTRAST.index("    const selector = [")
    end = CONTRAST.index(".join(', ');", start) + len(".join(', ');")
    checks_js = (
        CONTRAST[:start]
        + "    const selector = ['button', '.rig-batch-title', '.rig-batch-status', "
        "'.rig-batch-stats', '.rig-batch-tool', '.rig-batch-args', '.rig-batch-decision', "
        "'.rig-batch-notice', '.rig-batch-banner'].map(s => '.rig-batch ' + s).join(', ');"
        + CONTRAST[end:]
    )
    try:
        for dark in (False, True):
            _theme(lab, page, dark=dark)
            checks = page.evaluate(checks_js)
            kinds = {c["what"] for c in checks}
            for needed in ("rig-batch-button rig-batch-stop", "rig-batch-button rig-batch-approve",
                           "rig-batch-button rig-batch-deny", "rig-batch-stats", "rig-batch-args"):  # fmt: skip
                assert needed in kinds, (dark, needed, sorted(kinds))
            failing = [c for c in checks if c["ratio"] < 4.5 or c["opacity"] < 1]
            assert failing == [], json.dumps([dark, failing])
    finally:
        _theme(lab, page, dark=False)
    # At 520 px nothing spills out of the view: long arguments scroll inside their box.
    page.set_viewport_size({"width": 520, "height": 900})
    lab.command(page, "application:toggle-left-area")  # the notebook gets the 520 px
    page.wait_for_timeout(500)
    page.locator(".rig-batch").first.screenshot(path=str(SCREENSHOTS / "batch-520px-light.png"))
    spill = page.evaluate(
        """() => { const v = document.querySelector('.rig-batch'); const r = v.getBoundingClientRect();
            return [...v.querySelectorAll('*')].filter(e => { const b = e.getBoundingClientRect();
                return b.width && (b.right > r.right + 1 || b.left < r.left - 1); }).map(e => e.className); }"""
    )
    assert spill == [], spill
    view = page.locator(".rig-batch").first
    view.get_by_text("Deny for all rows").click()
    page.wait_for_selector(".rig-batch .rig-batch-decision", timeout=10_000)
    assert (
        view.locator(".rig-batch-decision").inner_text() == "delete_row: denied for all rows by you"
    )
    view.locator(".rig-batch-stop").click()
    ended = page.locator(".rig-batch-saved").first  # the live view gives way to the summary
    ended.wait_for(timeout=30_000)
    assert "Stopped by you: " in ended.inner_text()
    assert "delete_row: denied for every row by you" in ended.inner_text()
