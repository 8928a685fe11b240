"""Markdown from a model as safe HTML, for the saved transcript (no widget front end needed).

markdown-it-py (CommonMark, with GFM tables, strikethrough, autolinks and task lists) renders it;
raw HTML the model writes is escaped (`html: False`); markdown images become links (a saved
notebook must not make a reader's browser fetch a URL); math keeps its `$` delimiters, as text,
for JupyterLab's MathJax, in an element marked `mathjax_process`: the transcript around it is
`mathjax_ignore`, so MathJax typesets the formulas found here and nothing else (a price in a tool
result, `$HOME` in a prompt). What is math follows the live view's KaTeX rules closely enough
that `$5 and $10` is not (a closing `$` right before a digit closes nothing). nh3 (ammonia) then
cleans the result with a strict allowlist: the
elements the renderer makes, links only to http(s) and mailto, classes only `language-*` and
`math`, no style but `text-align` on table cells, no event handlers, no scripts.

A tool's rich HTML (a DataFrame's table, `ToolDisplay`) goes through the same cleaner
(`sanitize_html`), with cells' `colspan` / `rowspan` kept.
"""

from __future__ import annotations

import html
import re
from collections.abc import Sequence
from typing import Any

import nh3
from markdown_it import MarkdownIt
from mdit_py_plugins.dollarmath import dollarmath_plugin
from mdit_py_plugins.tasklists import tasklists_plugin

__all__ = ["render_markdown", "sanitize_html"]

_TAGS = {
    "a", "p", "br", "hr", "em", "strong", "del", "s", "code", "pre", "blockquote", "span", "div",
    "ul", "ol", "li", "input", "table", "thead", "tbody", "tr", "th", "td",
    "h1", "h2", "h3", "h4", "h5", "h6",
}  # fmt: skip
_ATTRIBUTES = {
    "a": {"href", "title"},
    "code": {"class"},
    "span": {"class"},
    "div": {"class"},
    "ol": {"start"},
    "li": {"class"},
    "ul": {"class"},
    "input": {"type", "checked", "disabled", "class"},
    "th": {"style"},
    "td": {"style"},
}
_CLASS = re.compile(
    r"(?:language-[\w+#.-]+|math|inline|block|task-list-item|contains-task-list|"
    r"task-list-item-checkbox|rig-code-lang)"
)


def _attribute(tag: str, name: str, value: str) -> str | None:
    if name == "class":
        kept = [c for c in value.split() if _CLASS.fullmatch(c)]
        return " ".join(kept) or None
    if tag == "input" and name == "type":
        return "checkbox"
    return value


def _image(_renderer: Any, tokens: Sequence[Any], index: int, options: Any, env: Any) -> str:
    token = tokens[index]
    src = html.escape(str(token.attrGet("src") or ""), quote=True)
    alt = html.escape(token.content or "")
    return f'<a href="{src}">[image: {alt}]</a>'


def _fence(_renderer: Any, tokens: Sequence[Any], index: int, options: Any, env: Any) -> str:
    token = tokens[index]
    language = (token.info or "").strip().split(" ")[0]
    label = html.escape(language or "code")
    cls = f' class="language-{html.escape(language, quote=True)}"' if language else ""
    code = html.escape(token.content)
    return f'<div class="rig-code-lang">{label}</div><pre><code{cls}>{code}</code></pre>\n'


def _math_inline(_renderer: Any, tokens: Sequence[Any], index: int, options: Any, env: Any) -> str:
    return f'<span class="math inline">${html.escape(tokens[index].content)}$</span>'


def _math_block(_renderer: Any, tokens: Sequence[Any], index: int, options: Any, env: Any) -> str:
    return f'<div class="math block">$$\n{html.escape(tokens[index].content.strip())}\n$$</div>\n'


def _parser() -> MarkdownIt:
    md = MarkdownIt("commonmark", {"html": False, "linkify": True, "breaks": True})
    md.enable(["table", "strikethrough", "linkify"])
    md.use(tasklists_plugin)
    md.use(dollarmath_plugin, allow_space=True, allow_digits=False, double_inline=True)
    md.add_render_rule("image", _image)
    md.add_render_rule("fence", _fence)
    md.add_render_rule("math_inline", _math_inline)
    md.add_render_rule("math_inline_double", _math_block)
    md.add_render_rule("math_block", _math_block)
    md.add_render_rule("math_block_label", _math_block)
    return md


_MD = _parser()


_STYLES = {
    # Added after cleaning, to the tags the cleaner keeps bare: fixed styles, never model text.
    "<pre>": '<pre style="background:var(--jp-cell-editor-background,#f7f7f7);padding:6px 8px;'
    'border-radius:4px;overflow-x:auto;margin:0 0 6px">',
    '<div class="rig-code-lang">': '<div class="rig-code-lang" style="font-size:80%;opacity:.75;'
    'font-family:var(--jp-code-font-family,monospace);margin-top:6px">',
    "<table>": '<table style="border-collapse:collapse">',
    # What MathJax typesets inside a transcript that is otherwise `mathjax_ignore` (MathJax 3's
    # class, and MathJax 2's for the classic notebook); a tool's HTML never gets these.
    '<span class="math inline">': '<span class="math inline mathjax_process tex2jax_process">',
    '<div class="math block">': '<div class="math block mathjax_process tex2jax_process">',
}


def render_markdown(text: str) -> str:
    """Untrusted markdown in, sanitised HTML out."""
    try:
        rendered = _MD.render(text)
    except Exception:  # a renderer failing on hostile input: show the source as text
        rendered = f"<pre>{html.escape(text)}</pre>"
    clean = _clean(rendered)
    for bare, styled in _STYLES.items():
        clean = clean.replace(bare, styled)
    return clean


def _clean(rendered: str) -> str:
    return nh3.clean(
        rendered,
        tags=_TAGS,
        attributes=_ATTRIBUTES,
        attribute_filter=_attribute,
        url_schemes={"http", "https", "mailto"},
        link_rel="noopener noreferrer nofollow",
        filter_style_properties={"text-align"},
        strip_comments=True,
    )


_RICH_ATTRIBUTES = {
    **_ATTRIBUTES,
    "th": {"style", "colspan", "rowspan"},
    "td": {"style", "colspan", "rowspan"},
}
_RICH_STYLES = {
    "<table>": '<table style="border-collapse:collapse;font-size:90%">',
    "<th>": '<th style="border:1px solid var(--jp-border-color2,#ddd);padding:2px 6px">',
    "<td>": '<td style="border:1px solid var(--jp-border-color2,#ddd);padding:2px 6px">',
}


def sanitize_html(text: str) -> str:
    """A tool's HTML (a DataFrame's table) in, sanitised HTML out (the markdown allowlist)."""
    clean = nh3.clean(
        text,
        tags=_TAGS,
        attributes=_RICH_ATTRIBUTES,
        attribute_filter=_attribute,
        url_schemes={"http", "https", "mailto"},
        link_rel="noopener noreferrer nofollow",
        filter_style_properties={"text-align"},
        strip_comments=True,
    )
    for bare, styled in _RICH_STYLES.items():
        clean = clean.replace(bare, styled)
    return clean
