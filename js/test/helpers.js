// Shared test helpers: the XSS corpus (shared with the browser suite) and DOM checks.
import { readFileSync } from "node:fs";

const corpus = JSON.parse(
  readFileSync(new URL("../../tests/browser/xss_payloads.json", import.meta.url), "utf8"),
);
/** @type {string[]} */
export const PAYLOADS = corpus.payloads;
/** @type {string[]} */
export const BLOCK_PAYLOADS = corpus.block_payloads;

export const DANGEROUS_TAGS =
  "script, iframe, object, embed, svg, form, base, meta, style, link, video, audio, marquee, img, body, textarea, select, button, annotation-xml, frame, frameset, template";

const CHROME = new Set([
  "rig-md", "rig-md-block", "rig-codeblock", "rig-code-bar", "rig-code-lang", "rig-code", "rig-table", "rig-math",
  "rig-button rig-copy rig-copy-code",
]);

/**
 * Everything that would make rendered markdown unsafe, as a list of findings (empty when safe).
 * @param {ParentNode} root
 */
export function unsafeParts(root) {
  const findings = [];
  // The renderer's own chrome (rig-* classes) is allowed; a model can never set a rig-* class.
  const clone = /** @type {Element} */ (root.cloneNode(true));
  for (const el of clone.querySelectorAll("[class*='rig-']")) {
    if (!CHROME.has(el.className)) findings.push(`class ${el.className} on <${el.localName}>`);
  }
  for (const bar of clone.querySelectorAll(".rig-code-bar")) bar.remove();
  root = clone;
  for (const el of root.querySelectorAll(DANGEROUS_TAGS)) findings.push(`element <${el.localName}>`);
  for (const el of root.querySelectorAll("*")) {
    for (const attr of el.attributes) {
      const name = attr.name.toLowerCase();
      if (name.startsWith("on")) findings.push(`handler ${name} on <${el.localName}>`);
      if (["style", "id", "name", "src", "srcset", "action", "formaction", "xlink:href", "srcdoc"].includes(name)) {
        findings.push(`attribute ${name} on <${el.localName}>`);
      }
      if (name === "href" && (el.localName !== "a" || !/^(https?:\/\/|mailto:)/i.test(attr.value))) {
        findings.push(`href ${attr.value} on <${el.localName}>`);
      }
      if (name === "class" && /\brig-(approve|stop|skip|terminate|always|button)\b/.test(attr.value)) {
        findings.push(`class ${attr.value} on <${el.localName}> (looks like the view's own controls)`);
      }
    }
  }
  return findings;
}

/** A fake anywidget model: traits, change events, and what the view sent. */
export class FakeModel {
  /** @param {Record<string, unknown>} traits */
  constructor(traits) {
    this.traits = { rendered: false, ...traits };
    /** @type {Map<string, Set<Function>>} */
    this.handlers = new Map();
    /** @type {unknown[]} */
    this.sent = [];
    this.saves = 0;
  }
  /** @param {string} key */
  get(key) {
    return this.traits[key];
  }
  /** @param {string} key @param {unknown} value */
  set(key, value) {
    this.traits[key] = value;
  }
  /** @param {string} event @param {Function} handler */
  on(event, handler) {
    if (!this.handlers.has(event)) this.handlers.set(event, new Set());
    this.handlers.get(event)?.add(handler);
  }
  /** @param {string} event @param {Function} handler */
  off(event, handler) {
    this.handlers.get(event)?.delete(handler);
  }
  save_changes() {
    this.saves++;
  }
  /** @param {unknown} content */
  send(content) {
    this.sent.push(content);
  }
  /** What the kernel does: set the state trait, fire change:state. @param {unknown} state */
  push(state) {
    this.traits.state = state;
    for (const handler of this.handlers.get("change:state") ?? []) handler();
  }
  listeners() {
    return [...this.handlers.values()].reduce((n, s) => n + s.size, 0);
  }
}

/** A state as the kernel's reducer makes it (rig_nb/widgets/_protocol.py, _reducer.py). */
export function state(overrides = {}) {
  return {
    status: "running",
    prompt: "",
    blocks: [],
    usage: { turns: [], total: null },
    error: null,
    notices: [],
    final: null,
    ...overrides,
  };
}

/** @param {Partial<import("../src/protocol.js").ToolBlock>} overrides */
export function tool(overrides = {}) {
  return {
    kind: "tool", turn: 0, id: "i1", call_id: "c1", name: "delete_file", args: '{\n  "path": "a.txt"\n}',
    status: "waiting", failed: false, decision: null, result: null, ...overrides,
  };
}
