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
    const own = /^rig-(md|md-block|codeblock|code-bar|code-lang|code|table|math|button|copy|copy-code)$/;
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
    assert (
        page.evaluate("() => document.querySelectorAll('script, img, svg, iframe, a').length") == 0
    )
    text = page.inner_text("body")
    assert all(p in text for p in PAYLOADS if "<" in p)
