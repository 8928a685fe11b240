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
import { argumentsEditor, sameJson } from "./edit.js";

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
 * What an approval bar shares with its view: the sender, and what the user typed or opened, by
 * card id, so a re-render of the card keeps it.
 * @typedef {object} ApprovalContext
 * @property {(message: import("./protocol.js").FrontEndMessage) => void} send
 * @property {Map<string, string>} reasons  typed skip reasons
 * @property {Map<string, string>} drafts  edited arguments
 * @property {Set<string>} editing  cards whose arguments are being edited
 * @property {Record<string, unknown>} schemas  each tool's arguments schema, by name
 * @property {(id: string) => void} [redraw]  draw a card again (Edit opened or closed)
 */

/**
 * The approval bar of one waiting call: Approve, Edit, Skip, Terminate, Always allow, a reason.
 * With Edit, the arguments become an editable JSON field checked against the tool's schema, and
 * Approve sends the edited arguments (disabled while they are not valid).
 * @param {ToolBlock} block
 * @param {ApprovalContext} context
 * @returns {HTMLDivElement}
 */
export function approvalBar(block, context) {
  const { send, reasons, drafts, editing } = context;
  const bar = h("div", "rig-approval");
  const reason = h("input", "rig-reason");
  reason.type = "text";
  reason.setAttribute("placeholder", "reason (optional, sent to the model on Skip)");
  reason.setAttribute("aria-label", `reason for skipping ${block.name}`);
  reason.value = reasons.get(block.id) ?? "";
  reason.addEventListener("input", () => reasons.set(block.id, reason.value));
  const editor = editing.has(block.id)
    ? argumentsEditor(block, context.schemas[block.name], drafts, (problems) => {
      approve.disabled = problems.length > 0;
      const changed = !sameJson(editor?.area.value ?? "", block.args);
      approve.textContent = changed ? "Approve with edits" : "Approve";
    })
    : null;
  /** @type {HTMLButtonElement} */
  let approve = h("button");
  for (const [label, kind, cls] of BUTTONS) {
    const button = h("button", `rig-button ${cls}`, label);
    button.type = "button";
    button.addEventListener("click", () => {
      const text = editor?.area.value;
      if (kind === "approve" && text !== undefined && !sameJson(text, block.args)) {
        send({ kind, id: block.id, reason: reason.value, arguments: text });
      } else {
        send({ kind, id: block.id, reason: reason.value });
      }
    });
    if (kind === "approve") approve = button;
    bar.appendChild(button);
    if (kind === "approve") {
      const edit = h("button", "rig-button rig-edit-button", editor ? "Cancel edit" : "Edit");
      edit.type = "button";
      edit.setAttribute("aria-pressed", String(Boolean(editor)));
      edit.addEventListener("click", () => {
        if (editing.has(block.id)) {
          editing.delete(block.id);
          drafts.delete(block.id);
        } else {
          editing.add(block.id);
        }
        context.redraw?.(block.id);
      });
      bar.appendChild(edit);
    }
  }
  bar.appendChild(reason);
  if (!editor && !block.edit_error) return bar;
  const wrap = h("div", "rig-approval-wrap");
  if (editor) wrap.appendChild(editor.node);
  if (block.edit_error) {
    const refused = h("div", "rig-edit-error", `The kernel refused the edit: ${block.edit_error}`);
    refused.setAttribute("role", "alert");
    wrap.appendChild(refused);
  }
  wrap.appendChild(bar);
  editor?.check();
  return wrap;
}

/**
 * "Approve all" / "Skip all" for the calls of a turn that wait together.
 * @param {number} waiting  how many calls wait
 * @param {(message: import("./protocol.js").FrontEndMessage) => void} send
 * @returns {HTMLDivElement}
 */
export function bulkBar(waiting, send) {
  const bar = h("div", "rig-bulk");
  bar.appendChild(h("span", "rig-bulk-label", `${waiting} tool calls wait for you`));
  const reason = h("input", "rig-reason rig-bulk-reason");
  reason.type = "text";
  reason.setAttribute("placeholder", "reason (optional, sent on Skip all)");
  reason.setAttribute("aria-label", "reason for skipping all");
  for (const [label, kind, cls] of /** @type {const} */ ([
    ["Approve all", "approve_all", "rig-approve rig-approve-all"],
    ["Skip all", "skip_all", "rig-skip rig-skip-all"],
  ])) {
    const button = h("button", `rig-button ${cls}`, label);
    button.type = "button";
    button.addEventListener("click", () => send({ kind, reason: reason.value }));
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

const BADGE = Symbol.for("rig_nb.titleBadge");

/**
 * The page's badge, shared by every view on it: the AgentView's and the batch view's bundles
 * are separate modules (and anywidget may load a module once per widget), so it lives on the
 * document under a global symbol, and one view's answer never takes the prefix from another's.
 * @returns {TitleBadge}
 */
export function titleBadge() {
  const holder = /** @type {Document & {[BADGE]?: TitleBadge}} */ (document);
  let found = holder[BADGE];
  if (!found) {
    found = new TitleBadge(document);
    holder[BADGE] = found;
  }
  return found;
}
