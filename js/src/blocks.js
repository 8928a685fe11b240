// @ts-check
/**
 * The transcript's blocks, each a small view that updates in place: a text block re-renders only
 * its changed markdown, a reasoning block keeps the reader's open/closed choice, a tool card is
 * rebuilt when its block changes (keeping what the user typed as a reason and which panels are open).
 *
 * @module blocks
 */
import { approvalBar } from "./approvals.js";
import { copyButton } from "./copy.js";
import { h } from "./dom.js";
import { MarkdownView } from "./markdown.js";
import { codeNode, richNode } from "./rich.js";
import { imageSrc } from "./sanitize.js";

/** @typedef {import("./protocol.js").Block} Block */
/** @typedef {import("./protocol.js").ToolBlock} ToolBlock */
/** @typedef {import("./protocol.js").ReasoningBlock} ReasoningBlock */
/** @typedef {import("./protocol.js").DecisionMessage} DecisionMessage */

/**
 * What the blocks share with their view.
 * @typedef {object} BlockContext
 * @property {(message: DecisionMessage) => void} send
 * @property {Map<string, boolean>} open  result panels the user opened or closed, by call id
 * @property {Map<string, string>} reasons  typed skip reasons, by call id
 */

/**
 * @typedef {object} BlockView
 * @property {HTMLElement} node
 * @property {Block["kind"]} kind
 * @property {(block: any) => void} update
 */

/** @implements {BlockView} */
class TextView {
  kind = /** @type {const} */ ("text");
  constructor() {
    this.markdown = new MarkdownView();
    this.node = this.markdown.root;
  }
  /** @param {import("./protocol.js").TextBlock} block */
  update(block) {
    this.markdown.update(block.text);
  }
}

/** @implements {BlockView} */
class ReasoningView {
  kind = /** @type {const} */ ("reasoning");
  constructor() {
    this.node = h("details", "rig-reasoning");
    this.summary = h("summary");
    this.text = h("div", "rig-reasoning-text");
    this.node.append(this.summary, this.text);
    /** The reader's own choice, once they toggled the panel. @type {boolean | null} */
    this.chosen = null;
    this.auto = false;
    this.node.addEventListener("toggle", () => {
      if (this.node.open !== this.auto) this.chosen = this.node.open;
    });
  }
  /** @param {ReasoningBlock} block */
  update(block) {
    this.summary.textContent = block.done ? "Reasoning" : "Thinking…";
    if (this.text.textContent !== block.text) this.text.textContent = block.text;
    this.auto = !block.done; // open while it streams, closed once done
    this.node.open = this.chosen ?? this.auto;
  }
}

/** @implements {BlockView} */
class ToolView {
  kind = /** @type {const} */ ("tool");
  /** @param {BlockContext} context */
  constructor(context) {
    this.context = context;
    /** @type {HTMLElement} */
    this.node = h("div");
    this.key = "";
  }
  /** @param {ToolBlock} block */
  update(block) {
    const key = JSON.stringify(block);
    if (key === this.key) return;
    this.key = key;
    const card = toolCard(block, this.context);
    this.node.replaceWith(card);
    this.node = card;
  }
}

/**
 * @param {ToolBlock} block
 * @param {BlockContext} context
 */
export function toolCard(block, context) {
  const card = h("div", `rig-tool rig-tool-${block.status}`);
  card.dataset.id = block.id;
  const head = h("div", "rig-tool-head");
  head.append(
    h("span", "rig-tool-name", block.name || "…"),
    h("span", "rig-tool-status", block.status + (block.decision ? `: ${block.decision}` : "")),
  );
  if (block.args) {
    head.appendChild(copyButton("rig-copy-args", () => block.args, { title: "Copy the arguments" }));
  }
  card.append(head, block.code ? codeNode(block.code) : h("pre", "rig-tool-args", block.args || ""));
  if (block.status === "waiting") card.appendChild(approvalBar(block, context.send, context.reasons));
  if (block.result) {
    const result = h("details", "rig-tool-result");
    result.open = context.open.get(block.id) ?? true;
    result.addEventListener("toggle", () => context.open.set(block.id, result.open));
    const summary = h("summary", "", "result ");
    summary.appendChild(
      copyButton("rig-copy-result", () => block.result?.text ?? "", { title: "Copy the result" }),
    );
    const text = h("pre", block.result.json ? "rig-json" : "rig-plain", block.result.text);
    if (block.result.rich) {
      // People see the rich view; what the model read stays one click away.
      const model = h("details", "rig-model-text");
      model.append(h("summary", "", "what the model got"), text);
      result.append(summary, richNode(block.result.rich), model);
    } else {
      result.append(summary, text);
    }
    for (const image of block.result.images) {
      const src = imageSrc(image);
      if (!src) {
        result.appendChild(h("span", "rig-muted", "[image not shown]"));
        continue;
      }
      const img = h("img", "rig-image");
      img.setAttribute("src", src);
      img.setAttribute("alt", "tool image");
      img.setAttribute("referrerpolicy", "no-referrer");
      result.appendChild(img);
    }
    card.appendChild(result);
  }
  return card;
}

/**
 * A view for one block of `kind`.
 * @param {Block["kind"]} kind
 * @param {BlockContext} context
 * @returns {BlockView}
 */
export function blockView(kind, context) {
  if (kind === "text") return new TextView();
  if (kind === "reasoning") return new ReasoningView();
  return new ToolView(context);
}
