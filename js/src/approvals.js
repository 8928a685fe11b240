// @ts-check
/**
 * Approvals: the buttons on a tool call that waits for the user, and the browser tab's title,
 * which carries a "⏸ approval" prefix while any view on the page waits (a user in another tab
 * notices). JupyterLab rewrites document.title when the current document changes, so a
 * MutationObserver puts the prefix back for as long as something waits.
 *
 * @module approvals
 */
import { h } from "./dom.js";

/** @typedef {import("./protocol.js").ToolBlock} ToolBlock */
/** @typedef {import("./protocol.js").DecisionMessage} DecisionMessage */

export const TITLE_PREFIX = "⏸ approval · ";

const BUTTONS = /** @type {const} */ ([
  ["Approve", "approve", "rig-approve"],
  ["Skip", "skip", "rig-skip"],
  ["Terminate", "terminate", "rig-terminate"],
  ["Always allow this tool", "always_allow", "rig-always"],
]);

/**
 * The approval bar of one waiting call. `reasons` keeps what the user typed across re-renders.
 * @param {ToolBlock} block
 * @param {(message: DecisionMessage) => void} send
 * @param {Map<string, string>} reasons
 * @returns {HTMLDivElement}
 */
export function approvalBar(block, send, reasons) {
  const bar = h("div", "rig-approval");
  const reason = h("input", "rig-reason");
  reason.type = "text";
  reason.setAttribute("placeholder", "reason (optional, sent to the model on Skip)");
  reason.setAttribute("aria-label", `reason for skipping ${block.name}`);
  reason.value = reasons.get(block.id) ?? "";
  reason.addEventListener("input", () => reasons.set(block.id, reason.value));
  for (const [label, kind, cls] of BUTTONS) {
    const button = h("button", `rig-button ${cls}`, label);
    button.type = "button";
    button.addEventListener("click", () => send({ kind, id: block.id, reason: reason.value }));
    bar.appendChild(button);
  }
  bar.appendChild(reason);
  return bar;
}

/**
 * The document title while views wait: one registry per page, shared by all views.
 */
export class TitleBadge {
  /** @param {Document} doc */
  constructor(doc) {
    this.doc = doc;
    /** @type {Set<object>} */
    this.waiting = new Set();
    /** @type {MutationObserver | null} */
    this.observer = null;
  }

  /**
   * Say whether `owner` (a view) waits for an approval.
   * @param {object} owner
   * @param {boolean} waiting
   */
  set(owner, waiting) {
    if (waiting) this.waiting.add(owner);
    else this.waiting.delete(owner);
    this.sync();
  }

  sync() {
    const title = this.doc.title;
    const prefixed = title.startsWith(TITLE_PREFIX);
    if (this.waiting.size && !prefixed) this.doc.title = TITLE_PREFIX + title;
    if (!this.waiting.size && prefixed) this.doc.title = title.slice(TITLE_PREFIX.length);
    if (this.waiting.size && !this.observer && typeof MutationObserver === "function") {
      this.observer = new MutationObserver(() => this.sync());
      this.observer.observe(this.doc.head ?? this.doc.documentElement, {
        subtree: true,
        childList: true,
        characterData: true,
      });
    } else if (!this.waiting.size && this.observer) {
      this.observer.disconnect();
      this.observer = null;
    }
  }
}

/** @type {TitleBadge | null} */
let badge = null;

/** The page's badge. @returns {TitleBadge} */
export function titleBadge() {
  if (!badge || badge.doc !== document) badge = new TitleBadge(document);
  return badge;
}
