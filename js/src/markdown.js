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
 * - A streaming answer lexes only its last two blocks again each frame (the rest cannot change
 *   when text is appended), and renders only the top-level blocks whose source changed: a long
 *   answer costs one block per frame, and text a reader has selected earlier stays selected.
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
 * What a markdown view can do beyond showing: put a Python code block in a new notebook cell.
 * @typedef {{insertCell?: ((code: string) => boolean) | null}} MarkdownOptions
 */

/** Fences whose code "Insert as new cell" offers (the kernel's language). */
export const PYTHON = new Set(["python", "py", "python3", "ipython", "python-repl"]);

/**
 * Render marked tokens to a sanitised fragment with the view's chrome (code bars, table boxes).
 * @param {Token[]} tokens
 * @param {MarkdownOptions} [options]
 * @returns {DocumentFragment}
 */
function renderTokens(tokens, options = {}) {
  let html;
  try {
    html = marked.parser(tokens);
  } catch {
    // A renderer failed on hostile input: show the source, never half-rendered HTML.
    html = `<pre><code>${escapeHtml(tokens.map((t) => t.raw).join(""))}</code></pre>`;
  }
  const fragment = sanitize(html);
  decorate(fragment, options);
  return fragment;
}

/**
 * Code blocks get a bar with their language and a copy button (Python ones also "Insert as new
 * cell", where the notebook allows it); tables and display math a box that scrolls sideways.
 * @param {DocumentFragment | Element} root
 * @param {MarkdownOptions} [options]
 */
export function decorate(root, options = {}) {
  for (const pre of root.querySelectorAll("pre")) {
    const code = pre.querySelector("code");
    pre.className = "rig-code";
    const language = /(?:^|\s)language-(\S+)/.exec(code?.className ?? "")?.[1] ?? "";
    const box = h("div", "rig-codeblock");
    const bar = h("div", "rig-code-bar");
    const text = () => (code ?? pre).textContent ?? "";
    bar.append(
      h("span", "rig-code-lang", language || "code"),
      copyButton("rig-copy-code", text, { title: "Copy this code" }),
    );
    const insert = options.insertCell;
    if (insert && PYTHON.has(language.toLowerCase())) bar.appendChild(insertButton(() => insert(text())));
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
 * "Insert as new cell": the code goes into a new code cell below the agent's cell.
 * @param {() => boolean} insert
 */
function insertButton(insert) {
  const button = h("button", "rig-button rig-insert-cell", "Insert as new cell");
  button.type = "button";
  button.title = "Put this code in a new cell below";
  button.addEventListener("click", (event) => {
    event.preventDefault();
    event.stopPropagation();
    let ok = false;
    try {
      ok = insert();
    } catch {
      ok = false;
    }
    button.textContent = ok ? "Inserted ✓" : "Could not insert";
    button.dataset.inserted = ok ? "yes" : "failed";
    setTimeout(() => {
      button.textContent = "Insert as new cell";
      delete button.dataset.inserted;
    }, 1500);
  });
  return button;
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
  /** @param {MarkdownOptions} [options] */
  constructor(options = {}) {
    this.options = options;
    this.root = h("div", "rig-md");
    /** @type {{raw: string, type: string, node: HTMLElement}[]} */
    this.items = [];
    this.links = "";
    this.text = "";
    /** How many blocks the last update rendered (for tests and benchmarks). */
    this.rendered = 0;
    /** How many characters the last update lexed (for tests and benchmarks). */
    this.lexed = 0;
  }

  /**
   * The tokens of `text`. When it only grew, the blocks before the last two stay as they are:
   * appended text can change only the blocks at the end (a paragraph that becomes a heading or a
   * table, a list or a fence that goes on), so only those are lexed again, and a long answer
   * costs the same per frame as a short one. A reference definition anywhere ([x]: url) can
   * change any earlier link: then, and when the tokens do not spell the text exactly, all of it.
   * @param {string} text
   * @returns {{tokens: Token[], from: number, links: string}}
   */
  lex(text) {
    const grown = this.text && text.startsWith(this.text) && this.links === "{}";
    let keep = 0;
    if (grown) {
      let nonSpace = 0;
      for (keep = this.items.length - 1; keep > 0; keep--) {
        if (this.items[keep].type !== "space" && ++nonSpace === 2) break;
      }
    }
    const offset = this.items.slice(0, keep).reduce((n, item) => n + item.raw.length, 0);
    if (keep > 0 && text.slice(0, offset).length === offset) {
      const tail = marked.lexer(text.slice(offset));
      const links = JSON.stringify(tail.links ?? {});
      const spelled = tail.reduce((n, t) => n + t.raw.length, 0) === text.length - offset;
      if (links === "{}" && spelled) {
        this.lexed = text.length - offset;
        return { tokens: tail, from: keep, links };
      }
    }
    const tokens = marked.lexer(text);
    this.lexed = text.length;
    const spelled = tokens.reduce((n, t) => n + t.raw.length, 0) === text.length;
    // (tokens that do not spell the text, e.g. after \r\n: never lex incrementally)
    return { tokens, from: 0, links: spelled ? JSON.stringify(tokens.links ?? {}) : "full" };
  }

  /** @param {string} text */
  update(text) {
    if (text === this.text) return;
    const { tokens, from, links } = this.lex(text);
    this.text = text;
    if (from === 0 && links !== this.links) {
      // A new reference definition can change how any earlier block renders.
      for (const item of this.items) item.node.remove();
      this.items = [];
    }
    this.links = links;
    this.rendered = 0;
    tokens.forEach((token, j) => {
      const i = from + j;
      const item = this.items[i];
      if (item && item.raw === token.raw) return;
      const node = h("div", "rig-md-block");
      node.appendChild(renderTokens([token], this.options));
      this.rendered++;
      if (item) item.node.replaceWith(node);
      else this.root.appendChild(node);
      this.items[i] = { raw: token.raw, type: token.type, node };
    });
    for (const item of this.items.splice(from + tokens.length)) item.node.remove();
  }
}
