"""Rich tool results and run_python's code card in a real browser: the XSS corpus through the rich
HTML view (a DataFrame's table and an object's `_repr_html_`) and through the highlighted code,
with a person clicking Approve."""

from __future__ import annotations

import json
from typing import Any

from .conftest import Lab, screenshot
from .test_security import _DOM_REPORT, _canary
from .xss_payloads import PAYLOADS

SETUP = """
%load_ext rig_nb
import json
import pandas as pd
from rig_nb import tool
from rig_nb.testing import ScriptedModel, final, tool_call

payloads = json.load(open("xss_rich_payloads.json"))


class Hostile:
    \"\"\"An object whose HTML is every payload, raw and in table cells.\"\"\"

    def _repr_html_(self):
        cells = "".join(f"<tr><td>{p}</td><th>{p}</th></tr>" for p in payloads)
        return f"<table>{cells}</table>" + "".join(payloads)


@tool
def frame() -> pd.DataFrame:
    \"\"\"A table whose cells are the payloads.\"\"\"
    return pd.DataFrame({"payload": payloads[:20], "n": range(20)})


@tool
def hostile() -> Hostile:
    \"\"\"HTML made of payloads.\"\"\"
    return Hostile()


code = "\\n".join(f"x{i} = {p!r}" for i, p in enumerate(payloads[:20])) + "\\nlen(payloads)"
model = ScriptedModel([
    [tool_call("frame", id="f"), tool_call("hostile", id="h"), tool_call("run_python", {"code": code}, id="r"), final()],
    ["Done.", final()],
])
"""


def test_no_payload_runs_through_rich_results_or_the_code_card(lab: Lab, page: Any) -> None:
    (lab.root / "xss_rich_payloads.json").write_text(json.dumps(PAYLOADS))
    path = lab.write(
        "xss_rich",
        SETUP,
        "%%agent -m model -t frame hostile --kernel-tools --approve auto --max-turns 1\nGo.",
        'print("CHECK", agent_result.response, x0 == payloads[0])',
    )
    lab.open(page, path)
    lab.command(page, "notebook:run-all-cells")
    # run_python asks even under --approve auto: its card shows the code, highlighted.
    card = page.locator(".rig-tool-waiting").first
    card.wait_for(timeout=60_000)
    code = card.locator(".rig-tool-code").inner_text()
    assert code.splitlines()[0] == f"x0 = {PAYLOADS[0]!r}"
    assert card.locator(".rig-tool-code .hljs-string").count() >= 20
    assert card.locator(".rig-tool-args").count() == 0
    page.evaluate(
        "() => document.querySelectorAll('.rig-nb details').forEach(d => { d.open = true; })"
    )
    card.scroll_into_view_if_needed()
    screenshot(page, "run-python-card")
    card.locator(".rig-approve").click()
    text = lab.output(page, "CHECK", timeout=60_000)
    assert "CHECK Done. True" in text  # the code ran in the notebook's namespace
    page.wait_for_function("() => document.querySelector('.rig-nb').dataset.status === 'done'")
    view = page.locator(".rig-nb").first
    page.evaluate(
        "() => document.querySelectorAll('.rig-nb details').forEach(d => { d.open = true; })"
    )
    rich = view.locator(".rig-rich")
    assert rich.count() == 2  # the DataFrame's table and the object's HTML
    rich.first.scroll_into_view_if_needed()
    screenshot(page, "rich-result-table")
    assert rich.nth(0).locator("tbody tr").count() == 5  # the head, as the budget says
    assert rich.nth(1).locator("td").count() >= 10  # a table, whatever the payloads broke
    for element in view.locator(".rig-rich *:visible, .rig-tool-code:visible").all()[:300]:
        element.hover(timeout=2_000, force=True)
    page.wait_for_timeout(500)
    assert _canary(page) == [None] * len(page.frames)
    report = page.evaluate(_DOM_REPORT)
    assert report["scripts"] == 0
    assert report["handlers"] == []
    assert report["styles"] == []
    assert report["srcs"] == []
    assert all(h.startswith(("https://", "http://", "mailto:")) for h in report["hrefs"]), report
    dom = page.evaluate(
        "() => [...document.querySelectorAll('.rig-rich *, .rig-tool-code *')]"
        ".flatMap(e => [...e.classList]).filter(c => c.startsWith('rig-'))"
    )
    assert dom == []  # nothing inside borrows the view's own classes
    model_text = view.locator(".rig-model-text pre").first.inner_text()
    assert model_text.startswith("pandas DataFrame: 20 rows x 2 columns")
    assert _canary(page) == [None] * len(page.frames)
