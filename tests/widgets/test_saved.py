"""Transcripts that survive (issue 10 point 7): what a finished run leaves in the notebook, and what
nbconvert makes of it (offline, with and without widget state); one module per saved notebook."""

from __future__ import annotations

import json
import os
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import nbformat
import pytest
from nbclient import NotebookClient
from nbconvert import HTMLExporter
from nbformat.v4 import new_code_cell, new_notebook

from rig_nb import Agent, UserError
from rig_nb.testing import ScriptedModel, final
from rig_nb.widgets import AgentView
from rig_nb.widgets._markdown import render_markdown
from rig_nb.widgets._transcript import transcript_html

from ..browser.xss_payloads import BLOCK_PAYLOADS, PAYLOADS

ROOT = Path(__file__).resolve().parents[2]
WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"
IMAGES: list[dict[str, Any]] = [
    {"mime": "image/png", "data": b"\x89PNG"},
    {"url": "javascript:window.__pwned=1"},
]
ANSWER = (
    "## Plans\n\n| Plan | Price |\n|---|--:|\n| Basic | 5 |\n\n- [x] read\n- [ ] ask\n\n"
    "**bold** and ~~old~~, see https://example.com\n\n```python\nprint(1 < 2)\n```\n\n$x^2$"
)


class Tags(HTMLParser):
    """Every tag and attribute of a piece of HTML."""

    def __init__(self, text: str) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.feed(text)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))


_DANGEROUS = {
    *("script", "iframe", "object", "embed", "svg", "math", "form", "style", "base", "meta"),
    *("link", "video", "audio", "template", "frame", "textarea", "button"),
}
_RASTER_SRC = tuple(f"data:image/{t};base64," for t in ("png", "jpeg", "gif", "webp"))


_DANGEROUS = {
    *("script", "iframe", "object", "embed", "svg", "math", "form", "style", "base", "meta"),
    *("link", "video", "audio", "template", "frame", "textarea", "button"),
}
_RASTER_SRC = tuple(f"data:image/{t};base64," for t in ("png", "jpeg", "gif", "webp"))


def unsafe(text: str) -> list[str]:
    """What would make the HTML unsafe (empty: nothing)."""
    found: list[str] = []
    for tag, attrs in Tags(text).tags:
        if tag in _DANGEROUS:
            found.append(tag)
        for name, value in attrs.items():
            if name.startswith("on") or name in ("srcdoc", "formaction", "xlink:href"):
                found.append(f"{tag} {name}")
            if name == "href" and not (value or "").startswith(("https://", "http://", "mailto:")):
                found.append(f"{tag} href={value}")
            if name == "src" and not (value or "").startswith(_RASTER_SRC):
                found.append(f"{tag} src={(value or '')[:40]}")
            if name == "style" and tag not in ("div", "span", "pre", "img", "th", "td", "table"):
                found.append(f"{tag} style")
    return found


def test_the_transcript_renders_the_markdown_as_html() -> None:
    html = render_markdown(ANSWER)
    tags = [tag for tag, _ in Tags(html).tags]
    assert {"h2", "table", "th", "td", "strong", "s", "pre", "code", "input", "a"} <= set(tags)
    assert '<div class="rig-code-lang" style=' in html and ">python</div>" in html
    assert "print(1 &lt; 2)" in html
    assert '<span class="math inline mathjax_process tex2jax_process">$x^2$</span>' in html
    assert 'href="https://example.com"' in html
    assert unsafe(html) == []


def test_mathjax_typesets_the_answers_formulas_and_nothing_else() -> None:
    """JupyterLab's MathJax typesets `$...$` in every HTML output it does not find marked.

    The transcript is `mathjax_ignore` as a whole; only the formulas the markdown found are
    `mathjax_process`. Dollar signs elsewhere (a prompt's `$HOME`, a tool's prices, an error)
    and prices in the answer (`$5 and $10`, as the live view's KaTeX reads them) stay text.
    """
    answer = "The area is $x^2$, and $$\\int_0^1 x\\,dx$$\n\nIt costs $5 and $10 a seat."
    state: dict[str, Any] = {
        "status": "error",
        "prompt": "Explain $HOME and $PATH",
        "blocks": [
            {"kind": "text", "turn": 0, "text": answer},
            {
                "kind": "tool",
                "turn": 0,
                "id": "i",
                "call_id": "c",
                "name": "prices",
                "args": '{"q": "$a$"}',
                "status": "done",
                "result": {
                    "text": "Basic $5, Team $20",
                    "json": False,
                    "images": [],
                    "rich": {
                        "mime": "text/html",
                        "data": '<span class="mathjax_process">$y$</span>',
                    },
                },
            },
        ],
        "notices": ["spent $3 of $4"],
        "error": "lost $1 and $2",
        "usage": {},
    }
    html = transcript_html(state)
    tags = Tags(html).tags
    root = tags[0][1].get("class") or ""
    assert {"rig-nb-transcript", "mathjax_ignore", "tex2jax_ignore"} <= set(root.split())
    processed = [
        attrs.get("class") for _, attrs in tags if "mathjax_process" in (attrs.get("class") or "")
    ]
    assert processed == [
        "math inline mathjax_process tex2jax_process",
        "math block mathjax_process tex2jax_process",
    ]
    assert "$x^2$</span>" in html and "It costs $5 and $10 a seat." in html
    assert "Explain $HOME and $PATH" in html and "Basic $5, Team $20" in html


def test_no_payload_survives_in_any_field_of_the_html_transcript() -> None:
    for payload in [*PAYLOADS, *BLOCK_PAYLOADS]:
        state: dict[str, Any] = {
            "status": "error",
            "system": payload,
            "prompt": payload,
            "blocks": [
                {"kind": "text", "turn": 0, "text": payload},
                {"kind": "reasoning", "turn": 0, "text": payload, "done": True},
                {
                    "kind": "tool",
                    "turn": 0,
                    "id": "i",
                    "call_id": "c",
                    "name": payload,
                    "args": payload,
                    "ran_args": payload,
                    "status": "done",
                    "failed": False,
                    "error": payload,
                    "decision": {"kind": "skipped", "reason": payload},
                    "edit_error": None,
                    "result": {
                        "text": payload,
                        "json": False,
                        "images": [
                            {"mime": "image/svg+xml", "data": payload.encode()},
                            {"mime": "image/png", "data": b"\x89PNG"},
                            {"url": "javascript:window.__pwned=1"},
                        ],
                    },
                },
            ],
            "notices": [payload],
            "error": payload,
            "usage": {"turns": [], "total": None},
        }
        html = transcript_html(state, view_id="0123abcd")
        assert unsafe(html) == [], (payload, unsafe(html))
        if "<" in payload:
            assert html.count("&lt;") >= 5  # shown as the characters it is


@pytest.mark.anyio
async def test_a_finished_run_keeps_the_widget_only_where_its_state_is_saved(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from rig_nb.widgets._saved import FRONT_END

    monkeypatch.setitem(FRONT_END, "seen", None)
    monkeypatch.setitem(FRONT_END, "saves_state", False)

    def view(**kwargs: Any) -> AgentView:
        return AgentView(Agent(ScriptedModel([["**hi**", final()]])), approval="auto", **kwargs)

    live = view()
    assert WIDGET_VIEW in live._repr_mimebundle_()  # before any run
    await live.run("x")
    bundle = live._repr_mimebundle_()
    assert WIDGET_VIEW not in bundle  # auto, and no front end said it saves widget state
    assert "<strong>hi</strong>" in bundle["text/html"]
    assert bundle["text/plain"] == "**hi**"
    saved = view()
    saved.rendered = True
    saved.saves_state = True  # what the browser reports for "Save Widget State Automatically"
    await saved.run("x")
    assert WIDGET_VIEW in saved._repr_mimebundle_()
    # A view that has not rendered (yet) goes by what the kernel's front end said before.
    unseen = view()
    await unseen.run("x")
    assert WIDGET_VIEW in unseen._repr_mimebundle_()
    FRONT_END["saves_state"] = False
    assert WIDGET_VIEW not in unseen._repr_mimebundle_()
    for setting, kept in (("widget", True), ("transcript", False)):
        chosen = view(saved_view=setting)
        chosen.saves_state = not kept
        await chosen.run("x")
        assert (WIDGET_VIEW in chosen._repr_mimebundle_()) is kept, setting
    monkeypatch.setenv("RIG_NB_SAVED_VIEW", "widget")
    assert view().saved_view == "widget"
    monkeypatch.setenv("RIG_NB_SAVED_VIEW", "sometimes")
    with pytest.raises(UserError, match="auto, widget or transcript"):
        view()


def _notebook(path: Path, cells: int, answer: str) -> None:
    setup = (
        "%load_ext rig_nb\nimport json\nfrom rig_nb.testing import ScriptedModel, final\n"
        f"ANSWER = json.loads({json.dumps(json.dumps(answer))})\n"
        f"model = ScriptedModel([[ANSWER, final()] for _ in range({cells})])"
    )
    notebook = new_notebook(
        cells=[new_code_cell(setup)]
        + [new_code_cell(f"%%agent -m model\nQuestion {i}") for i in range(cells)]
    )
    notebook.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3"}
    nbformat.write(notebook, path)


def _execute(path: Path, saved_view: str = "auto") -> Any:
    notebook = nbformat.read(path, as_version=4)
    env = {**os.environ, "PYTHONPATH": str(ROOT), "RIG_NB_SAVED_VIEW": saved_view}
    client = NotebookClient(notebook, timeout=120, kernel_name="python3", store_widget_state=True)
    old = dict(os.environ)
    os.environ.update(env)
    try:
        client.execute(cwd=str(path.parent))
    finally:
        os.environ.clear()
        os.environ.update(old)
    return notebook


def _html(notebook: Any) -> str:
    body, _ = HTMLExporter(template_name="lab").from_notebook_node(notebook)
    return body


def test_nbconvert_html_shows_the_rendered_transcript_with_and_without_widget_state(
    tmp_path: Path,
) -> None:
    """What `jupyter nbconvert --execute --to html` makes (offline: no widget manager from a CDN
    runs), for a headless run; and the size a saved notebook of 10 cells has."""
    path = tmp_path / "ten.ipynb"
    _notebook(path, 10, ANSWER)
    executed = _execute(path)
    assert "widgets" in executed.metadata  # nbclient stored the widget state
    outputs = [o for cell in executed.cells[1:] for o in cell.outputs if "data" in o]
    assert len(outputs) == 10
    for output in outputs:
        assert WIDGET_VIEW not in output["data"]  # no front end saves widget state here
        assert "<table " in output["data"]["text/html"]
        assert output["data"]["text/plain"] == ANSWER  # terminals, nbval
    stateless = nbformat.from_dict(json.loads(json.dumps(executed)))
    del stateless.metadata["widgets"]
    for notebook in (executed, stateless):
        html = _html(notebook)
        assert html.count('class="rig-nb-transcript mathjax_ignore tex2jax_ignore"') == 10
        assert html.count("<strong>bold</strong>") == 10
        assert "<th" in html and "Basic" in html
    # One copy of the front end for the whole notebook, not one per cell (was 5.3 MB).
    with_state = len(nbformat.writes(executed))
    assert with_state < 700_000, with_state
    assert len(nbformat.writes(stateless)) < 40_000


def test_a_kept_live_view_has_its_transcript_beside_it_for_nbconvert(tmp_path: Path) -> None:
    path = tmp_path / "kept.ipynb"
    _notebook(path, 1, "**kept** " + PAYLOADS[0])
    executed = _execute(path, saved_view="widget")
    outputs = [o for o in executed.cells[1].outputs if "data" in o]
    assert WIDGET_VIEW in outputs[0]["data"]
    assert set(outputs[1]["data"]) == {"text/html"}  # the twin: read where widgets don't render
    html = _html(executed)
    assert "<strong>kept</strong>" in html
    assert "application/vnd.jupyter.widget-view+json" in html  # the live view, for a browser
    assert unsafe(outputs[1]["data"]["text/html"]) == []
