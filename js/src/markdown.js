// @ts-check
/**
 * Markdown rendering: marked (CommonMark + GFM: tables, task lists, strikethrough, autolinks),
 * KaTeX for `$…$` and `$$…$$`, highlight.js for fences, all through DOMPurify (sanitize.js).
 *
 * - Raw HTML the model writes is shown as the text it is: marked's `html` renderer escapes it.
 * - Markdown images become links (`[image: alt]`): a model must not make the browser fetch a URL.
 * - Math is KaTeX's MathML output: the browser lays it out with no KaTeX CSS or fonts (Chromium
 *   109+, Firefox, Safari), which keeps about 300 KB of fonts and 23 KB of CSS out of every
 *   widget's state; `trust` is off, so \href, \url, \includegraphics and \html… render as inert
 *   text, and `maxSize`/`maxExpand` bound what a hostile formula may cost.
 * - A streaming answer is re-lexed each frame, but only the top-level blocks whose source changed
 *   are rendered again: a long answer costs one block per frame, and text a reader has selected
 *   in an earlier block stays selected.
 *
 * @module markdown
 */
import { Marked } from "marked";
import markedKatex from "marked-katex-extension";
import { copyButton } from "./copy.js";
import { h } from "./dom.js";
import { escapeHtml, highlight } from "./highlight.js";
import { sanitize } from "./sanitize.js";

/** @typedef {import("marked").Token} Token */

export const KATEX_OPTIONS = Object.freeze({
  output: /** @type {const} */ ("mathml"),
  throwOnError: false,
  trust: false,
  strict: /** @type {const} */ ("ignore"),
  maxSize: 20,
  maxExpand: 200,
});

const marked = new Marked({ gfm: true, breaks: true, async: false, silent: false });
marked.use(markedKatex(KATEX_OPTIONS));
marked.use({
  renderer: {
    html({ text, block }) {
      return block ? `<p>${escapeHtml(text.replace(/\n+$/, ""))}</p>\n` : escapeHtml(text);
    },
    image({ href, text }) {
      return `<a href="${escapeHtml(href)}">[image: ${escapeHtml(text)}]</a>`;
    },
    code({ text, lang }) {
      const word = (lang || "").match(/^\S*/)?.[0] ?? "";
      const { html } = highlight(text.replace(/\n$/, ""), word);
      const cls = word ? ` class="hljs language-${escapeHtml(word)}"` : ` class="hljs"`;
      return `<pre><code${cls}>${html}</code></pre>\n`;
    },
  },
});

/**
 * Render marked tokens to a sanitised fragment with the view's chrome (code bars, table boxes).
 * @param {Token[]} tokens
 * @returns {DocumentFragment}
 */
function renderTokens(tokens) {
  let html;
  try {
    html = marked.parser(tokens);
  } catch {
    // A renderer failed on hostile input: show the source, never half-rendered HTML.
    html = `<pre><code>${escapeHtml(tokens.map((t) => t.raw).join(""))}</code></pre>`;
  }
  const fragment = sanitize(html);
  decorate(fragment);
  return fragment;
}

/**
 * Code blocks get a bar with their language and a copy button; tables and display math a box
 * that scrolls sideways.
 * @param {DocumentFragment | Element} root
 */
export function decorate(root) {
  for (const pre of root.querySelectorAll("pre")) {
    const code = pre.querySelector("code");
    pre.className = "rig-code";
    const language = /(?:^|\s)language-(\S+)/.exec(code?.className ?? "")?.[1] ?? "";
    const box = h("div", "rig-codeblock");
    const bar = h("div", "rig-code-bar");
    bar.append(
      h("span", "rig-code-lang", language || "code"),
      copyButton("rig-copy-code", () => (code ?? pre).textContent ?? "", { title: "Copy this code" }),
    );
    pre.replaceWith(box);
    box.append(bar, pre);
  }
  for (const table of root.querySelectorAll("table")) {
    const box = h("div", "rig-table");
    table.replaceWith(box);
    box.appendChild(table);
  }
  for (const math of root.querySelectorAll('math[display="block"]')) {
    const formula = math.parentElement?.classList.contains("katex") ? math.parentElement : math;
    const box = h("div", "rig-math");
    formula.replaceWith(box);
    box.appendChild(formula);
  }
}

/**
 * Markdown to a sanitised element, in one go.
 * @param {string} text
 * @returns {HTMLDivElement}
 */
export function renderMarkdown(text) {
  const view = new MarkdownView();
  view.update(text);
  return view.root;
}

/** A growing markdown text: `update(text)` renders only the top-level blocks that changed. */
export class MarkdownView {
  constructor() {
    this.root = h("div", "rig-md");
    /** @type {{raw: string, node: HTMLElement}[]} */
    this.items = [];
    this.links = "";
    this.text = "";
    /** How many blocks the last update rendered (for tests and benchmarks). */
    this.rendered = 0;
  }

  /** @param {string} text */
  update(text) {
    if (text === this.text) return;
    this.text = text;
    const tokens = marked.lexer(text);
    const links = JSON.stringify(tokens.links ?? {});
    if (links !== this.links) {
      // A new reference definition can change how any earlier block renders.
      for (const item of this.items) item.node.remove();
      this.items = [];
      this.links = links;
    }
    this.rendered = 0;
    tokens.forEach((token, i) => {
      const item = this.items[i];
      if (item && item.raw === token.raw) return;
      const node = h("div", "rig-md-block");
      node.appendChild(renderTokens([token]));
      this.rendered++;
      if (item) item.node.replaceWith(node);
      else this.root.appendChild(node);
      this.items[i] = { raw: token.raw, node };
    });
    for (const item of this.items.splice(tokens.length)) item.node.remove();
  }
}
