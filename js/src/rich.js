// @ts-check
/**
 * Rich tool results and code arguments on a tool card.
 *
 * A tool that returned a rich object (a DataFrame) sends people a `rich` view beside what the
 * model got: HTML (an HTML table) that goes through the one sanitising door (DOMPurify, in
 * sanitize.js) like everything else, or a raster image. A tool that shows an argument as code
 * (run_python's `code`) gets it highlighted on its card, so a person reads the code they approve.
 *
 * @module rich
 */
import { h } from "./dom.js";
import { highlight } from "./highlight.js";
import { imageSrc, sanitize } from "./sanitize.js";

/** @typedef {import("./protocol.js").RichView} RichView */
/** @typedef {import("./protocol.js").CodeView} CodeView */

const RICH_TYPES = new Set(["text/html", "image/png", "image/jpeg"]);

/** @param {unknown} value @returns {Record<string, unknown>} */
const obj = (value) =>
  value !== null && typeof value === "object" && !Array.isArray(value)
    ? /** @type {Record<string, unknown>} */ (value)
    : {};

/**
 * A result's rich view from the state, or null (missing, malformed, of another type).
 * @param {unknown} raw
 * @returns {RichView | null}
 */
export function richView(raw) {
  const r = obj(raw);
  if (typeof r.mime !== "string" || typeof r.data !== "string" || !RICH_TYPES.has(r.mime)) return null;
  return { mime: r.mime, data: r.data };
}

/**
 * A card's code view from the state, or null.
 * @param {unknown} raw
 * @returns {CodeView | null}
 */
export function codeView(raw) {
  const c = obj(raw);
  if (typeof c.text !== "string") return null;
  return { language: typeof c.language === "string" ? c.language : "", text: c.text };
}

/**
 * The rich view's node: sanitised HTML in a scrollable box, or an image.
 * @param {RichView} rich
 * @returns {HTMLElement}
 */
export function richNode(rich) {
  if (rich.mime === "text/html") {
    const box = h("div", "rig-rich");
    box.appendChild(sanitize(rich.data));
    return box;
  }
  const src = imageSrc({ mime: rich.mime, data: rich.data });
  if (!src) return h("span", "rig-muted", "[rich result not shown]");
  const img = h("img", "rig-image");
  img.setAttribute("src", src);
  img.setAttribute("alt", "tool result");
  return img;
}

/**
 * Code, highlighted (highlight.js escapes it; the spans it adds go through the sanitiser too).
 * @param {CodeView} code
 * @returns {HTMLElement}
 */
export function codeNode(code) {
  const pre = h("pre", "rig-tool-code");
  const inner = h("code", "hljs");
  const { html, known } = highlight(code.text, code.language);
  inner.appendChild(sanitize(html));
  if (known) pre.dataset.language = code.language;
  pre.appendChild(inner);
  return pre;
}
