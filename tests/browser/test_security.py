"""Model and tool output is untrusted: no payload runs, in any field, and the text stays readable."""

from __future__ import annotations

import json
from typing import Any

from rig_nb import (
    ReasoningText,
    StreamAssistantItem,
    StreamedReasoningDelta,
    StreamedText,
    StreamedToolCall,
    StreamedToolResult,
    StreamUserItem,
    Text,
    ToolCall,
    ToolFunction,
    ToolResult,
)
from rig_nb.core import Reasoning
from rig_nb.widgets._reducer import ViewState
from rig_nb.widgets._transcript import transcript_html

from .conftest import Lab
from .xss_payloads import BLOCK_PAYLOADS, PAYLOADS

NOTEBOOK_SETUP = """
%load_ext rig_nb
import json
from rig_nb import ProviderError, ReasoningText, tool
from rig_nb.core import RawReasoning, RawReasoningDelta
from rig_nb.testing import ScriptedModel, final, tool_call

payloads = json.load(open("xss_payloads.json"))
"""
NOTEBOOK_MODEL = """
@tool
def echo(values: dict) -> dict:
    \"\"\"Echo the values back, with two images that must not render as script.\"\"\"
    return {
        "response": list(values.values()),
        "parts": [
            {"type": "image", "data": "javascript:window.__pwned=1", "mimeType": "image/png"},
            {"type": "image", "data": "PHN2ZyBvbmxvYWQ9IndpbmRvdy5fX3B3bmVkPTEiLz4=", "mimeType": "image/svg+xml"},
        ],
    }

split = [s for p in payloads[:5] for s in (p[: len(p) // 2], p[len(p) // 2 :], "\\n")]
model = ScriptedModel([
    [
        *[RawReasoningDelta(None, p + "\\n") for p in payloads],
        RawReasoning(None, ReasoningText(text="\\n".join(payloads), signature="s")),
        *[s for p in payloads for s in (p, "\\n\\n")],
        *split,
        tool_call("echo", {"values": {f"p{i}": p for i, p in enumerate(payloads)}}, id="echo1"),
        *[tool_call(p, {"x": p}, id=f"bad{i}") for i, p in enumerate(payloads)],
        final(total_tokens=1),
    ],
    ["after tools ", ProviderError("\\n".join(payloads))],
])
"""


_DOM_REPORT = """() => {
    const root = document.querySelector('.rig-nb');
    const hrefs = [...root.querySelectorAll('a, [href]')].map(a => a.getAttribute('href'));
    const srcs = [...root.querySelectorAll('img, [src]')].map(i => i.getAttribute('src'));
    const attrs = [...root.querySelectorAll('*')].flatMap(e => [...e.attributes].map(a => a.name));
    // Inside rendered markdown, only the renderers' classes: a model can't borrow the view's own.
    const own = /^rig-(md|md-block|codeblock|code-bar|code-lang|code|table|math|button|copy|copy-code|insert-cell)$/;
    const classes = [...root.querySelectorAll('.rig-md *')].flatMap(e => [...e.classList])
        .filter(c => c.startsWith('rig-') && !own.test(c));
    return {
        scripts: root.querySelectorAll('script, iframe, object, embed, svg, form, base, meta, style, video, audio, marquee, link, annotation-xml, template').length,
        hrefs, srcs, handlers: attrs.filter(a => a.startsWith('on')),
        // (an empty style attribute is Playwright's, from hovering; it sets nothing)
        styles: [...root.querySelectorAll('[style]:not([style=""])')].map(e => e.outerHTML.slice(0, 80)),
        classes, maths: root.querySelectorAll('math').length,
        tables: root.querySelectorAll('.rig-md table').length,
    };
}"""


def _canary(page: Any) -> list[Any]:
    return [frame.evaluate("() => window.__pwned") for frame in page.frames]


def test_no_payload_runs_in_any_field_of_the_live_view(lab: Lab, page: Any) -> None:
    (lab.root / "xss_payloads.json").write_text(json.dumps(PAYLOADS))
    path = lab.write(
        "xss",
        NOTEBOOK_SETUP,
        NOTEBOOK_MODEL,
        "%%agent -m model -t echo --approve auto --max-turns 1\nShow me everything.",
        'print("CHECK", len(agent_history), type(agent_error).__name__)',
    )
    lab.open(page, path)
    lab.command(page, "notebook:run-all-cells")
    text = lab.output(page, "CHECK", timeout=60_000)
    # prompt, the tool turn, one message per result (45), the partial last turn; then the failure
    assert f"CHECK {3 + len(PAYLOADS) + 1} StreamingProviderError" in text
    page.wait_for_function("() => document.querySelector('.rig-nb').dataset.status === 'error'")
    view = page.locator(".rig-nb").first
    # Exercise what a user does: open every panel, hover and focus everything.
    page.evaluate(
        "() => document.querySelectorAll('.rig-nb details').forEach(d => { d.open = true; })"
    )
    for element in view.locator(
        "a:visible, button:visible, input:visible, details:visible, pre:visible, img:visible, math:visible"
    ).all()[:200]:
        element.hover(timeout=2_000, force=True)
    page.wait_for_timeout(500)
    assert _canary(page) == [None] * len(page.frames)
    # Nothing dangerous made it into the DOM.
    counts = page.evaluate(_DOM_REPORT)
    assert counts["scripts"] == 0
    assert counts["handlers"] == []
    assert counts["styles"] == []
    assert counts["classes"] == []
    assert counts["maths"] >= 10  # the math payloads rendered as (inert) MathML
    assert all(h.startswith(("https://", "http://", "mailto:")) for h in counts["hrefs"]), counts[
        "hrefs"
    ]
    assert counts["srcs"] == []  # neither the javascript: nor the SVG image was shown
    # The text stays readable: payloads show as the characters they are.
    body = view.inner_text()
    for payload in PAYLOADS:
        if "<" in payload and "](" not in payload:
            assert payload in body, payload
    reasoning = view.locator(".rig-reasoning-text").first.inner_text()
    assert PAYLOADS[0] in reasoning
    args = view.locator(".rig-tool-args").first.inner_text()
    assert json.loads(args) == {"values": {f"p{i}": p for i, p in enumerate(PAYLOADS)}}
    result = view.locator(".rig-tool-result pre").first.inner_text()
    assert json.loads(result) == PAYLOADS  # shown as the JSON it is, every payload intact
    names = view.locator(".rig-tool-name").all_inner_texts()
    assert names[1:] == PAYLOADS  # hallucinated tool names, shown verbatim
    statuses = view.locator(".rig-tool-status").all_inner_texts()
    assert all(s.startswith("error: ToolNotFoundError: ") for s in statuses[1:])
    assert view.locator("img, .rig-muted").count() >= 2  # "[image not shown]" twice
    banner = view.locator(".rig-banner").inner_text()
    assert PAYLOADS[5] in banner
    assert _canary(page) == [None] * len(page.frames)


BLOCK_MODEL = """
import json
from rig_nb.testing import ScriptedModel, final
blocks = json.load(open("xss_block_payloads.json"))
# Each payload whole, then all of them streamed in 7-character pieces (cut anywhere mid-syntax).
joined = "\\n\\n".join(blocks)
model = ScriptedModel([[*[s for p in blocks for s in (p, "\\n\\n")], *[joined[i:i + 7] for i in range(0, len(joined), 7)], final()]])
"""


def test_no_table_math_or_fence_payload_runs_in_the_live_view(lab: Lab, page: Any) -> None:
    """Multi-line markdown payloads (tables, display math, fences, nested lists) in the answer."""
    (lab.root / "xss_block_payloads.json").write_text(json.dumps(BLOCK_PAYLOADS))
    path = lab.write(
        "xss_blocks",
        "%load_ext rig_nb",
        BLOCK_MODEL,
        "%%agent -m model\nRender these.",
        'print("CHECK", agent_result.response.count("window.__pwned"))',
    )
    lab.open(page, path)
    lab.command(page, "notebook:run-all-cells")
    text = lab.output(page, "CHECK", timeout=60_000)
    assert "CHECK" in text
    page.wait_for_function("() => document.querySelector('.rig-nb').dataset.status === 'done'")
    view = page.locator(".rig-nb").first
    view.locator(".rig-expand").click()  # show the whole transcript
    for element in view.locator(
        "a:visible, button:visible, input:visible, td:visible, math:visible"
    ).all()[:200]:
        element.hover(timeout=2_000, force=True)
    page.wait_for_timeout(300)
    assert _canary(page) == [None] * len(page.frames)
    report = page.evaluate(_DOM_REPORT)
    assert report["scripts"] == 0
    assert report["handlers"] == []
    assert report["styles"] == []
    assert report["classes"] == []
    assert report["srcs"] == []
    assert all(h.startswith(("https://", "http://", "mailto:")) for h in report["hrefs"]), report
    assert report["tables"] >= 4  # the table payloads rendered as tables, twice
    assert report["maths"] >= 4  # and the math ones as MathML
    body = view.locator(".rig-body").inner_text()
    assert "<img src=x onerror=window.__pwned=1>" in body  # raw HTML shows as text
    assert _canary(page) == [None] * len(page.frames)


def test_no_payload_runs_in_the_html_fallback(page: Any) -> None:
    view = ViewState("prompt " + PAYLOADS[0])
    for i, payload in enumerate(PAYLOADS):
        view.apply(StreamAssistantItem(content=StreamedText(text=payload + "\n")))
        view.apply(StreamAssistantItem(content=StreamedReasoningDelta(id=None, reasoning=payload)))
        view.apply(StreamAssistantItem(content=Reasoning(content=[ReasoningText(text=payload)])))
        call = ToolCall(id=f"c{i}", function=ToolFunction(name=payload, arguments={"x": payload}))
        view.apply(
            StreamAssistantItem(content=StreamedToolCall(tool_call=call, internal_call_id=f"i{i}"))
        )
        result = ToolResult(id=f"c{i}", content=[Text(text=payload)])
        view.apply(
            StreamUserItem(content=StreamedToolResult(tool_result=result, internal_call_id=f"i{i}"))
        )
        view.notice(payload)
    view.fail("\n".join(PAYLOADS))
    page.set_content(f"<html><body>{transcript_html(view.snapshot())}</body></html>")
    page.wait_for_timeout(300)
    page.evaluate("() => document.querySelectorAll('details').forEach(d => { d.open = true; })")
    page.wait_for_timeout(200)
    assert page.evaluate("() => window.__pwned") is None
    # The answer's markdown is rendered now (issue 10 point 7): links may be there, but only
    # to http(s)/mailto, and images only the raster data: URLs the transcript builds itself.
    report = page.evaluate(
        """() => ({
            bad: document.querySelectorAll('script, svg, iframe, object, embed, form, style, math').length,
            hrefs: [...document.querySelectorAll('[href]')].map(a => a.getAttribute('href')),
            srcs: [...document.querySelectorAll('[src]')].map(i => i.getAttribute('src')),
            handlers: [...document.querySelectorAll('*')].flatMap(e => [...e.attributes].map(a => a.name)).filter(n => n.startsWith('on')),
        })"""
    )
    assert report["bad"] == 0 and report["handlers"] == [], report
    assert all(h.startswith(("https://", "http://", "mailto:")) for h in report["hrefs"]), report
    assert report["srcs"] == [], report
    text = page.inner_text("body")
    assert all(p in text for p in PAYLOADS if "<" in p)


NEW_FIELDS = r"""
import json
from IPython.display import display
from rig_nb.widgets import AgentView

payloads = json.load(open("xss_payloads.json"))

def card(i, p):
    return {"kind": "tool", "turn": 0, "id": f"t{i}", "call_id": f"c{i}", "name": "delete_file",
            "args": json.dumps({"x": p}), "status": "waiting" if i < 10 else "done", "failed": False,
            "error": None, "decision": {"kind": "skipped", "reason": p}, "ran_args": json.dumps({"y": p}),
            "edit_error": p, "result": None}

view = AgentView()
view.state = {"seq": 1, "status": "waiting", "prompt": payloads[0], "system": "\n".join(payloads),
              "schemas": {"delete_file": {"type": "object", "description": payloads[5],
                                          "properties": {"x": {"type": "string", "pattern": payloads[9]}}}},
              "blocks": [card(i, p) for i, p in enumerate(payloads[:20])],
              "usage": {"turns": [], "total": None}, "error": None, "notices": payloads[:5], "final": None}
display(view)
print("SHOWN")
"""


def test_no_payload_runs_in_the_new_fields_system_prompt_edits_refusals_decisions(
    lab: Lab, page: Any
) -> None:
    """Issue 10 points 3, 8, 9, 10: the system prompt, edited arguments, the editor, the kernel's
    refusal of an edit, decision reasons, the bulk bar."""
    (lab.root / "xss_payloads.json").write_text(json.dumps(PAYLOADS))
    lab.open(page, lab.write("xss_new", "%load_ext rig_nb", NEW_FIELDS))
    lab.command(page, "notebook:run-all-cells")
    lab.output(page, "SHOWN")
    view = page.locator(".rig-nb").first
    view.locator(".rig-bulk").wait_for()
    page.evaluate(
        "() => document.querySelectorAll('.rig-nb details').forEach(d => { d.open = true; })"
    )
    for i in range(3):
        view.locator(".rig-tool").nth(i).locator(".rig-edit-button").click()
        editor = view.locator(".rig-tool").nth(i).locator(".rig-edit-args")
        editor.fill(json.dumps({"x": PAYLOADS[i + 20]}))
        view.locator(".rig-tool").nth(i).locator(".rig-reason").fill(PAYLOADS[i + 30])
    for element in view.locator(
        "button:visible, input:visible, textarea:visible, details:visible, pre:visible, li:visible"
    ).all()[:200]:
        element.hover(timeout=2_000, force=True)
    page.wait_for_timeout(300)
    assert _canary(page) == [None] * len(page.frames)
    report = page.evaluate(_DOM_REPORT)
    assert report["scripts"] == 0 and report["handlers"] == [] and report["styles"] == [], report
    assert report["srcs"] == [] and report["hrefs"] == [], report
    assert PAYLOADS[7] in view.locator(".rig-system-text").inner_text()
    statuses = view.locator(".rig-tool-status").all_inner_texts()
    assert statuses[0] == f"waiting: skipped by you: {PAYLOADS[0]}"
    refusals = view.locator(".rig-edit-error").all_inner_texts()
    assert refusals[0] == f"The kernel refused the edit: {PAYLOADS[0]}"
    ran = view.locator(".rig-args-ran").all_inner_texts()
    assert json.loads(ran[12]) == {"y": PAYLOADS[12]}
    assert _canary(page) == [None] * len(page.frames)


TRANSCRIPT = """
%load_ext rig_nb
import json, os
from rig_nb.testing import ScriptedModel, final
os.environ["RIG_NB_SAVED_VIEW"] = "transcript"
corpus = json.load(open("xss_corpus.json"))
answer = "\\n\\n".join(corpus["payloads"] + corpus["block_payloads"])
model = ScriptedModel([[answer, final()]])
SYSTEM = "\\n".join(corpus["payloads"][:10])
"""


def test_no_payload_runs_in_the_saved_transcript_inside_jupyterlab(lab: Lab, page: Any) -> None:
    """A finished run's HTML transcript (issue 10 point 7), as JupyterLab renders it (a trusted
    notebook's HTML output is not sanitised by JupyterLab: the transcript's own cleaning is all)."""
    (lab.root / "xss_corpus.json").write_text(
        json.dumps({"payloads": PAYLOADS, "block_payloads": BLOCK_PAYLOADS})
    )
    path = lab.write(
        "xss_transcript", TRANSCRIPT, "%%agent -m model -s SYSTEM\nRender these.", 'print("CHECK")'
    )
    lab.open(page, path)
    lab.command(page, "notebook:run-all-cells")
    lab.output(page, "CHECK")
    transcript = page.locator(".rig-nb-transcript").first
    transcript.wait_for(timeout=30_000)
    page.evaluate(
        "() => document.querySelectorAll('.rig-nb-transcript details').forEach(d => { d.open = true; })"
    )
    for element in transcript.locator(
        "a:visible, td:visible, li:visible, pre:visible, input:visible"
    ).all()[:200]:
        element.hover(timeout=2_000, force=True)
    page.wait_for_timeout(500)
    assert _canary(page) == [None] * len(page.frames)
    report = page.evaluate(
        """() => {
            const root = document.querySelector('.rig-nb-transcript');
            return {
                bad: root.querySelectorAll('script, iframe, object, embed, svg, form, style, base, meta, link, video, audio, template, img').length,
                hrefs: [...root.querySelectorAll('[href]')].map(a => a.getAttribute('href')),
                handlers: [...root.querySelectorAll('*')].flatMap(e => [...e.attributes].map(a => a.name)).filter(n => n.startsWith('on')),
                tables: root.querySelectorAll('table').length,
            };
        }"""
    )
    assert report["bad"] == 0 and report["handlers"] == [], report
    assert all(h.startswith(("https://", "http://", "mailto:")) for h in report["hrefs"]), report
    assert report["tables"] >= 2
    assert "<img src=x onerror=window.__pwned=1>" in transcript.inner_text()
