"""The view as a reader sees it (issue 10, points 3-6 and 11), in JupyterLab's light and dark themes.

Each test leaves screenshots in `artifacts/screenshots/view-*-{light,dark}.png`.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest

from .conftest import SCREENSHOTS, Lab

ANSWER = r"""## Plans compared

| Plan | Price | Seats |
|:-----|------:|:-----:|
| Basic | 5 € | 1 |
| Team | 20 € | 10 |

- [x] read both pricing pages
- [ ] ask about discounts
  1. yearly
  2. monthly

The cost grows as $c(n) = 5 + 1.5n$ for $n$ seats, so over a year

$$
\sum_{m=1}^{12} c(n) = 60 + 18n
$$

```python
def cost(n: int) -> float:
    return 5 + 1.5 * n  # per month
```

~~Old prices~~ are gone; see https://example.com/pricing."""

RICH = """
%load_ext rig_nb
import json
from rig_nb import tool
from rig_nb.testing import ScriptedModel, final, tool_call

ANSWER = json.load(open("answer.json"))

@tool
def lookup(topic: str) -> dict:
    \"\"\"Look a topic up.\"\"\"
    return {"topic": topic, "plans": ["Basic", "Team"]}

model = ScriptedModel([
    ["Let me look that up.", tool_call("lookup", {"topic": "pricing"}), final()],
    [*[ANSWER[i:i + 11] for i in range(0, len(ANSWER), 11)], final()],
])
"""

APPROVAL = """
%load_ext rig_nb
from rig_nb import tool
from rig_nb.testing import ScriptedModel, final, tool_call

deleted = []

@tool
def delete_file(path: str) -> str:
    \"\"\"Delete a file.\"\"\"
    deleted.append(path)
    return f"deleted {path}"

def script():
    return ScriptedModel([
        ["I will delete it. ", tool_call("delete_file", {"path": "a.txt"}), final()],
        ["Done.", final()],
    ])
model, model2 = script(), script()
"""

# Views with crafted states (the protocol of rig_nb/widgets/_protocol.py): every button and banner.
SHOWCASE = r"""
from IPython.display import display
from rig_nb.widgets import AgentView

def show(**state):
    view = AgentView()
    view.state = {"status": "done", "prompt": "", "blocks": [], "usage": {"turns": [], "total": None},
                  "error": None, "notices": [], "final": None, **state}
    display(view)
    return view

def tool(status, args='{"path": "a.txt"}', result=None, decision=None, id="t1"):
    return {"kind": "tool", "turn": 0, "id": id, "call_id": "c" + id, "name": "delete_file", "args": args,
            "status": status, "decision": decision, "result": result}

TEXT = ("Here is **the plan**, with a [link](https://example.com) and `inline code`:\n\n"
        "```python\nimport os\nfor name in os.listdir('.'):\n    print(name)  # each file\n```\n\n"
        "| a | b |\n|---|---|\n| 1 | 2 |\n\n$x^2 + y^2 = z^2$")
USAGE = {"turns": [{"turn": 0, "input_tokens": 143, "output_tokens": 25, "total_tokens": 168}],
         "total": {"input_tokens": 143, "output_tokens": 25, "total_tokens": 168}}
views = [
    show(status="waiting", prompt="Tidy up the folder.", notices=["A notice the user should read."],
         blocks=[{"kind": "text", "turn": 0, "text": TEXT}, tool("waiting")]),
    show(status="error", prompt="Question two", usage=USAGE,
         blocks=[{"kind": "reasoning", "turn": 0, "text": "Thinking it over.", "done": True},
                 tool("error", decision="ToolCallError: disk full", id="t2",
                      result={"text": "Toolset error: ToolCallError: disk full", "json": False, "images": []})],
         error="CompletionError: ProviderError: upstream 502 Bad Gateway"),
    show(status="cancelled", prompt="Count slowly.", error="Stopped: stopped by user",
         blocks=[{"kind": "text", "turn": 0, "text": "one two"},
                 tool("skipped", decision="not run: the run ended", id="t3")]),
    show(status="running", prompt="Still going", blocks=[{"kind": "text", "turn": 0, "text": "Working…"},
         tool("done", id="t4", result={"text": '{\n  "ok": true\n}', "json": True, "images": []})]),
]
print("SHOWN", len(views))
"""

WIDE = r"""
from IPython.display import display
from rig_nb.widgets import AgentView

long_code = "result = compute(" + ", ".join(f"argument_{i}={i}" for i in range(40)) + ")"
long_word = "x" * 400
view = AgentView()
view.state = {
    "status": "done", "prompt": "A prompt with a very long word " + long_word, "final": None,
    "blocks": [
        {"kind": "text", "turn": 0, "text": (
            f"```python\n{long_code}\n```\n\nA long link https://example.com/{long_word} and a word {long_word}.\n\n"
            "| " + " | ".join(f"column {i}" for i in range(30)) + " |\n|" + "---|" * 30 + "\n| "
            + " | ".join(str(i) for i in range(30)) + " |\n\n"
            "$$\n" + " + ".join(f"a_{{{i}}} x^{{{i}}}" for i in range(60)) + "\n$$")},
        {"kind": "tool", "turn": 0, "id": "w", "call_id": "w", "name": "write_file", "status": "done",
         "args": '{\n  "path": "' + long_word + '",\n  "text": "' + " ".join([long_code] * 3) + '"\n}',
         "decision": None, "result": {"text": long_code, "json": False, "images": []}},
    ],
    "usage": {"turns": [], "total": None}, "error": None, "notices": [],
}
display(view)
print("SHOWN")
"""

CONTRAST = """() => {
    const parse = (c) => {
        const m = c.match(/rgba?\\(([^)]+)\\)/);
        if (!m) throw new Error('colour ' + c);
        const [r, g, b, a = 1] = m[1].split(/[ ,/]+/).filter(Boolean).map(Number);
        return [r, g, b, a];
    };
    const over = (top, bottom) => {
        const a = top[3];
        return [0, 1, 2].map(i => top[i] * a + bottom[i] * (1 - a)).concat(1);
    };
    const background = (el) => {
        const layers = [];
        for (let e = el; e; e = e.parentElement) {
            const c = parse(getComputedStyle(e).backgroundColor);
            if (c[3] > 0) layers.push(c);
            if (c[3] >= 1) break;
        }
        let bg = [255, 255, 255, 1];
        for (const layer of layers.reverse()) bg = over(layer, bg);
        return bg;
    };
    const opacity = (el) => {
        let o = 1;
        for (let e = el; e; e = e.parentElement) o *= Number(getComputedStyle(e).opacity);
        return o;
    };
    const lum = (c) => {
        const [r, g, b] = c.slice(0, 3).map(v => {
            v /= 255;
            return v <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4);
        });
        return 0.2126 * r + 0.7152 * g + 0.0722 * b;
    };
    const ratio = (fg, bg) => {
        const [a, b] = [lum(fg), lum(bg)].sort((x, y) => y - x);
        return (a + 0.05) / (b + 0.05);
    };
    const checks = [];
    const selector = [
        'button', '.rig-banner', '.rig-status', '.rig-usage', '.rig-notice', '.rig-prompt-label',
        '.rig-prompt-text', '.rig-tool-name', '.rig-tool-status', '.rig-code-lang', '.rig-md a',
        '.rig-md p', '.rig-md td', '.rig-md th', '.rig-tool-args', '.rig-tool-result pre',
        '.rig-reasoning summary', '.rig-reasoning-text', '.rig-reason', '.rig-md code',
    ].map(s => '.rig-nb ' + s).join(', ');
    for (const el of document.querySelectorAll(selector)) {
        if (!el.getClientRects().length || !el.textContent.trim() && el.localName !== 'input') continue;
        const bg = background(el);
        const fg = over(parse(getComputedStyle(el).color), bg);
        checks.push({what: el.className || el.localName, text: (el.value || el.textContent).trim().slice(0, 30),
                     ratio: ratio(fg, bg), opacity: opacity(el)});
        if (el.localName === 'input') {
            const ph = over(parse(getComputedStyle(el, '::placeholder').color), bg);
            checks.push({what: 'rig-reason::placeholder', text: el.placeholder.slice(0, 30), ratio: ratio(ph, bg), opacity: opacity(el),
                         fg: getComputedStyle(el, '::placeholder').color, bg: getComputedStyle(el).backgroundColor});
        }
    }
    return checks;
}"""


@pytest.fixture
def view_page(browser: Any, lab: Lab) -> Iterator[Any]:
    """A page that may read and write the clipboard (the copy buttons' checks)."""
    context = browser.new_context(
        viewport={"width": 1280, "height": 900}, permissions=["clipboard-read", "clipboard-write"]
    )
    tab = context.new_page()
    try:
        yield tab
    finally:
        context.close()
        lab.close_all()


def _theme(lab: Lab, page: Any, dark: bool) -> None:
    name = "JupyterLab Dark" if dark else "JupyterLab Light"
    lab.command(page, "apputils:change-theme", {"theme": name})
    page.wait_for_function(
        f"() => document.body.dataset.jpThemeLight === '{'false' if dark else 'true'}'",
        timeout=15_000,
    )
    page.wait_for_timeout(400)


def _shoot(page: Any, name: str, locator: Any | None = None) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = str(SCREENSHOTS / f"{name}.png")
    if locator is None:
        page.screenshot(path=path)
    else:
        locator.screenshot(path=path)


def _both_themes(lab: Lab, page: Any, name: str, locator: Any | None = None) -> None:
    """Screenshots in light, then dark; back to light (the theme is a setting shared by tests)."""
    try:
        _shoot(page, f"{name}-light", locator)
        _theme(lab, page, dark=True)
        _shoot(page, f"{name}-dark", locator)
    finally:
        _theme(lab, page, dark=False)


def _clipboard(page: Any) -> str:
    return page.evaluate("() => navigator.clipboard.readText()")


def _status(page: Any, status: str, index: int = 0) -> None:
    page.wait_for_function(
        "([s, i]) => { const v = document.querySelectorAll('.rig-nb')[i]; return v && v.dataset.status === s; }",
        arg=[status, index],
        timeout=30_000,
    )


def test_prompt_on_top_rich_answer_copy_buttons_no_empty_usage(lab: Lab, view_page: Any) -> None:
    """Points 1, 3, 4 and 6: a streamed markdown answer under the prompt, copyable piece by piece."""
    page = view_page
    (lab.root / "answer.json").write_text(json.dumps(ANSWER))
    path = lab.write(
        "rich",
        RICH,
        "%%agent -m model -t lookup --approve auto\nCompare the two plans for me.",
        'print("CHECK", agent_result.response == ANSWER)',
    )
    lab.open(page, path)
    lab.command(page, "notebook:run-all-cells")
    assert "CHECK True" in lab.output(page, "CHECK")
    _status(page, "done")
    view = page.locator(".rig-nb").first

    # 3: the prompt first, then the answer
    assert view.locator(".rig-prompt-text").inner_text() == "Compare the two plans for me."
    prompt_box = view.locator(".rig-prompt").bounding_box()
    body_box = view.locator(".rig-body").bounding_box()
    assert prompt_box and body_box and prompt_box["y"] + prompt_box["height"] <= body_box["y"]

    # 1: the markdown, rendered by the libraries
    md = view.locator(".rig-md").last
    assert md.locator("table th").all_inner_texts() == ["Plan", "Price", "Seats"]
    assert md.locator("table tbody tr").count() == 2
    assert md.locator("li input[type=checkbox]").count() == 2
    assert md.locator("li input[type=checkbox][checked]").count() == 1
    assert md.locator("ul > li > ol > li").all_inner_texts() == ["yearly", "monthly"]
    assert md.locator(".rig-code-lang").inner_text() == "python"
    assert md.locator("pre.rig-code .hljs-keyword").count() >= 2
    assert md.locator("del").inner_text() == "Old prices"
    assert md.locator("a").get_attribute("href") == "https://example.com/pricing"
    assert md.locator("math").count() == 3
    display = md.locator("math[display=block]")
    box = display.bounding_box()
    assert box and box["width"] > 100 and box["height"] > 20  # laid out by Chromium's MathML
    assert "∑" in (display.text_content() or "")
    assert "\\sum" not in md.inner_text()  # the TeX source is not shown

    # 6: the run is over, so no Stop; the model reported no usage, so no "0 in · 0 out"
    assert view.locator(".rig-stop").is_hidden()
    assert view.locator(".rig-usage").is_hidden()
    assert " in · " not in view.inner_text()

    # 4: each copy button copies its own text, and says so
    cases = [
        (view.locator(".rig-copy-answer"), ANSWER),
        (
            md.locator(".rig-copy-code"),
            "def cost(n: int) -> float:\n    return 5 + 1.5 * n  # per month",
        ),
        (view.locator(".rig-copy-args"), '{\n  "topic": "pricing"\n}'),
        (
            view.locator(".rig-copy-result"),
            '{\n  "topic": "pricing",\n  "plans": [\n    "Basic",\n    "Team"\n  ]\n}',
        ),
    ]
    for button, expected in cases:
        page.evaluate("() => navigator.clipboard.writeText('')")
        label = button.inner_text()
        button.click()
        page.wait_for_function("(b) => b.textContent === 'Copied ✓'", arg=button.element_handle())
        assert _clipboard(page) == expected, label
    view.locator(".rig-copy-code").hover()
    _both_themes(lab, page, "view-answer", view)
    # The confirmation goes away again.
    page.wait_for_function(
        "() => [...document.querySelectorAll('.rig-copy')].every(b => !b.dataset.copied)",
        timeout=5_000,
    )


def test_the_view_follows_the_tail_until_the_reader_scrolls_up(lab: Lab, view_page: Any) -> None:
    """Point 5: the streaming tail stays in sight; scrolling up stops that; the bottom resumes it;
    the transcript is capped, with "Show all"."""
    page = view_page
    path = lab.write(
        "tail",
        "%load_ext rig_nb\nfrom rig_nb.testing import Delay, ScriptedModel, final\n"
        "lines = [s for i in range(160) for s in (f'Line {i}: the agent keeps writing its answer.\\n\\n', Delay(0.03))]\n"
        "model = ScriptedModel([[*lines, final()]])",
        "%%agent -m model\nWrite a long answer.",
        'print("CHECK", len(agent_result.response))',
    )
    lab.open(page, path)
    lab.command(page, "notebook:run-all-cells")
    body = page.locator(".rig-nb .rig-body").first
    metrics = "(b) => ({top: b.scrollTop, height: b.scrollHeight, client: b.clientHeight, text: b.textContent.length})"
    page.wait_for_function(
        "() => { const b = document.querySelector('.rig-nb .rig-body'); return b && b.scrollHeight > b.clientHeight + 400; }",
        timeout=30_000,
    )
    assert page.locator(".rig-nb .rig-stop").is_visible()  # Stop while it runs
    # Following: the newest line is in view, frame after frame.
    for _ in range(3):
        m = body.evaluate(metrics)
        assert m["height"] - m["top"] - m["client"] <= 30, m
        assert m["client"] < 700  # capped
        page.wait_for_timeout(150)
    # The reader scrolls up: the view stays where they put it while the text keeps growing.
    body.hover()
    page.mouse.wheel(0, -400)
    page.wait_for_timeout(300)
    held = body.evaluate(metrics)
    page.wait_for_function(
        "([l]) => document.querySelector('.rig-nb .rig-body').textContent.length > l + 300",
        arg=[held["text"]],
    )
    later = body.evaluate(metrics)
    assert abs(later["top"] - held["top"]) <= 2, (held, later)
    assert later["height"] - later["top"] - later["client"] > 300
    _shoot(page, "view-scrolled-up-light", page.locator(".rig-nb").first)
    # Back to the bottom: following again.
    body.hover()
    page.mouse.wheel(0, 100_000)
    page.wait_for_timeout(300)
    grown = body.evaluate(metrics)["text"]
    page.wait_for_function(
        "([l]) => document.querySelector('.rig-nb .rig-body').textContent.length > l + 300",
        arg=[grown],
    )
    m = body.evaluate(metrics)
    assert m["height"] - m["top"] - m["client"] <= 30, m
    lab.output(page, "CHECK")
    _status(page, "done")
    assert page.locator(".rig-nb .rig-stop").is_hidden()
    # The cap: "Show all" shows the whole transcript; "Show less" caps it again.
    toggle = page.locator(".rig-nb .rig-expand").first
    assert toggle.inner_text() == "Show all"
    _both_themes(lab, page, "view-capped", page.locator(".rig-nb").first)
    toggle.click()
    m = body.evaluate(metrics)
    assert m["height"] <= m["client"] + 1, m
    assert toggle.inner_text() == "Show less"
    toggle.click()
    assert body.evaluate(metrics)["client"] < 700


def test_a_waiting_approval_marks_the_tab_title_until_answered(lab: Lab, view_page: Any) -> None:
    """Point 11: "⏸ approval" in the tab title while a call waits; gone once answered, or when the
    view is removed (outputs cleared)."""
    page = view_page
    path = lab.write(
        "title",
        APPROVAL,
        "%%agent -m model -t delete_file --approve ask\nDelete a.txt",
        'print("CHECK", deleted)',
        "%%agent -m model2 -t delete_file --approve ask --new\nDelete a.txt again",
    )
    lab.open(page, path)
    plain = page.title()
    assert not plain.startswith("⏸")
    lab.command(page, "notebook:run-all-cells")
    page.wait_for_selector(".rig-approve", timeout=30_000)
    assert page.title() == f"⏸ approval · {plain}"
    # JupyterLab renames the tab (here: by hand); the prefix comes back while the call waits.
    page.evaluate("() => { document.title = 'renamed - JupyterLab'; }")
    page.wait_for_function("() => document.title === '⏸ approval · renamed - JupyterLab'")
    page.evaluate("(t) => { document.title = t; }", plain)
    page.wait_for_function("(t) => document.title === '⏸ approval · ' + t", arg=plain)
    _both_themes(lab, page, "view-approval", page.locator(".rig-nb").first)
    page.locator(".rig-approve").first.click()
    page.wait_for_function("(t) => document.title === t", arg=plain, timeout=10_000)
    assert "CHECK ['a.txt']" in lab.output(page, "CHECK")
    # The next cell waits again; clearing the outputs removes its view, and the prefix with it.
    page.wait_for_function(
        "() => document.querySelectorAll('.rig-nb')[1]?.dataset.status === 'waiting'",
        timeout=30_000,
    )
    page.wait_for_function("() => document.title.startsWith('⏸ approval · ')")
    lab.command(page, "notebook:clear-all-cell-outputs")
    page.wait_for_function("(t) => document.title === t", arg=plain, timeout=10_000)
    lab.command(page, "notebook:interrupt-kernel")


def test_every_button_and_banner_meets_wcag_aa_in_both_themes(lab: Lab, view_page: Any) -> None:
    """Point 6: text contrast >= 4.5:1 (WCAG AA), computed from the browser's computed styles."""
    page = view_page
    lab.open(page, lab.write("contrast", "%load_ext rig_nb", SHOWCASE))
    lab.command(page, "notebook:run-all-cells")
    assert "SHOWN 4" in lab.output(page, "SHOWN")
    page.wait_for_function("() => document.querySelectorAll('.rig-nb').length === 4")
    page.wait_for_timeout(300)
    results: dict[str, list[dict[str, Any]]] = {}
    try:
        for theme in ("light", "dark"):
            _theme(lab, page, dark=theme == "dark")
            checks = page.evaluate(CONTRAST)
            results[theme] = checks
            kinds = {c["what"] for c in checks}
            for needed in (
                "rig-button rig-approve", "rig-button rig-skip", "rig-button rig-terminate",
                "rig-button rig-always", "rig-button rig-stop", "rig-button rig-copy rig-copy-answer",
                "rig-button rig-copy rig-copy-code", "rig-button rig-copy rig-copy-args",
                "rig-button rig-copy rig-copy-result", "rig-banner rig-banner-error",
                "rig-banner rig-banner-cancelled", "rig-reason::placeholder", "rig-usage",
            ):  # fmt: skip
                assert needed in kinds, (theme, needed, sorted(kinds))
            failing = [c for c in checks if c["ratio"] < 4.5 or c["opacity"] < 1]
            assert failing == [], json.dumps([theme, failing])
            views = page.locator(".rig-nb")
            for i, name in enumerate(("waiting", "error", "cancelled", "running")):
                _shoot(page, f"view-{name}-{theme}", views.nth(i))
            if theme == "dark":
                # The error banner is dark in the dark theme (not a light pink box).
                banner = page.evaluate(
                    "() => getComputedStyle(document.querySelector('.rig-banner-error')).backgroundColor"
                )
                rgb = [
                    int(v) for v in banner[banner.index("(") + 1 : banner.index(")")].split(",")[:3]
                ]
                assert max(rgb) < 100, banner
    finally:
        _theme(lab, page, dark=False)
    approve = {
        t: min(c["ratio"] for c in r if c["what"] == "rig-button rig-approve")
        for t, r in results.items()
    }
    assert approve["light"] >= 4.5 and approve["dark"] >= 4.5, approve


def test_code_and_arguments_stay_inside_their_box_at_520px(lab: Lab, view_page: Any) -> None:
    """Point 6: at 520 px, long code scrolls inside its box, arguments and long words wrap, wide
    tables and formulas scroll inside theirs; nothing widens the view."""
    page = view_page
    page.set_viewport_size({"width": 520, "height": 900})
    lab.open(page, lab.write("narrow", "%load_ext rig_nb", WIDE))
    lab.command(page, "application:toggle-left-area")  # the notebook gets the 520 px
    lab.command(page, "notebook:run-all-cells")
    lab.output(page, "SHOWN")
    page.wait_for_selector(".rig-nb .rig-tool-args")
    view = page.locator(".rig-nb").first
    _both_themes(lab, page, "view-520px", view)
    view.locator(".rig-expand").click()
    report = page.evaluate(
        """() => {
            const root = document.querySelector('.rig-nb');
            const r = root.getBoundingClientRect();
            const inside = (el) => { const b = el.getBoundingClientRect(); return b.left >= r.left - 0.5 && b.right <= r.right + 0.5; };
            const boxes = (sel) => [...root.querySelectorAll(sel)].map(el => ({
                sel, inside: inside(el), scrolls: el.scrollWidth > el.clientWidth,
                overflowX: getComputedStyle(el).overflowX, width: el.clientWidth,
            }));
            return {
                width: r.width, rootOverflow: root.scrollWidth - root.clientWidth,
                viewport: document.documentElement.clientWidth,
                code: boxes('pre.rig-code'), args: boxes('.rig-tool-args'), result: boxes('.rig-tool-result pre'),
                table: boxes('.rig-table'), math: boxes('.rig-math'),
                prompt: boxes('.rig-prompt-text'), paragraphs: boxes('.rig-md p'),
            };
        }"""
    )
    assert report["viewport"] <= 520
    assert report["rootOverflow"] <= 0, report
    assert report["width"] <= 520
    for box in report["code"]:  # long code lines scroll inside the code box
        assert box["inside"] and box["scrolls"] and box["overflowX"] == "auto", box
    for box in report["args"] + report["result"] + report["prompt"] + report["paragraphs"]:
        assert box["inside"] and not box["scrolls"], box  # wrapped
    for box in report["table"]:
        assert box["inside"] and box["scrolls"] and box["overflowX"] == "auto", box
    assert report["math"], report
    for box in report["math"]:  # a wide formula scrolls inside its box
        assert box["inside"] and box["scrolls"] and box["overflowX"] == "auto", box
    assert report["width"] >= 400, report  # the notebook's width, not a squeezed sidebar layout
