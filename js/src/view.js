// @ts-check
/**
 * The view: builds the widget's DOM once, then draws each new state into it.
 *
 * Layout, top to bottom: status with "Copy answer" and Stop; the user's prompt; the transcript
 * (capped, following the tail while the run streams); "Show all"; notices; the error banner; usage.
 *
 * @module view
 */
import { titleBadge } from "./approvals.js";
import { blockView } from "./blocks.js";
import { copyButton } from "./copy.js";
import { h } from "./dom.js";
import { TailBox } from "./scroll.js";
import { EMPTY, STATUS_LABELS, answerText, apply, isLive, usageLine } from "./state.js";

/** @typedef {import("./protocol.js").ViewState} ViewState */
/** @typedef {import("./protocol.js").FrontEndMessage} FrontEndMessage */
/** @typedef {import("./blocks.js").BlockView} BlockView */

/**
 * The widget's traits, as the kernel defines them (rig_nb.widgets.AgentView).
 * @typedef {{state: unknown, rendered: boolean}} Model
 */

export class AgentView {
  /**
   * @param {import("@anywidget/types").AnyModel<Model>} model
   * @param {HTMLElement} el
   */
  constructor(model, el) {
    this.model = model;
    /** @type {ViewState} */
    this.state = EMPTY;
    /** @param {FrontEndMessage} message */
    const send = (message) => model.send(message);
    this.context = { send, open: new Map(), reasons: new Map() };
    /** @type {BlockView[]} */
    this.blocks = [];

    this.root = h("div", "rig-nb");
    const header = h("div", "rig-header");
    this.status = h("span", "rig-status");
    this.status.setAttribute("role", "status");
    const actions = h("span", "rig-actions");
    this.copyAnswer = copyButton("rig-copy-answer", () => answerText(this.state), {
      label: "Copy answer",
      title: "Copy the whole answer (markdown)",
    });
    this.stop = h("button", "rig-button rig-stop", "Stop");
    this.stop.type = "button";
    this.stop.addEventListener("click", () => send({ kind: "stop" }));
    actions.append(this.copyAnswer, this.stop);
    header.append(this.status, actions);

    this.prompt = h("div", "rig-prompt");
    this.promptText = h("div", "rig-prompt-text");
    this.prompt.append(h("span", "rig-prompt-label", "You"), this.promptText);

    this.body = h("div", "rig-body");
    this.body.tabIndex = 0; // keyboard users can scroll it
    this.body.setAttribute("aria-label", "agent transcript");
    this.blockList = h("div", "rig-blocks");
    this.body.appendChild(this.blockList);
    this.tail = new TailBox(this.body, this.blockList);
    this.notices = h("div", "rig-notices");
    this.banner = h("div", "rig-banner");
    this.banner.setAttribute("role", "alert");
    this.usage = h("div", "rig-usage");
    this.root.append(header, this.prompt, this.body, this.tail.toggle, this.notices, this.banner, this.usage);
    el.appendChild(this.root);

    this.onChange = () => this.receive({ type: "state", state: model.get("state") });
    model.on("change:state", this.onChange);
    /** Messages sent with `widget.send({"type": ...})` go through the same reducer. @param {unknown} msg */
    this.onMessage = (msg) => {
      if (msg && typeof msg === "object" && typeof (/** @type {{type?: unknown}} */ (msg).type) === "string") {
        this.receive(/** @type {import("./protocol.js").Message} */ (msg));
      }
    };
    model.on("msg:custom", this.onMessage);
    this.onChange();
    model.set("rendered", true);
    model.save_changes();
  }

  /**
   * One message from the kernel: reduce, then draw.
   * @param {import("./protocol.js").Message} message
   */
  receive(message) {
    const next = apply(this.state, message);
    if (next !== this.state) this.draw(next);
  }

  /** @param {ViewState} state */
  draw(state) {
    this.state = state;
    const live = isLive(state);
    this.root.dataset.status = state.status;
    this.status.textContent = STATUS_LABELS[state.status];
    this.stop.hidden = !live; // and disabled: a hidden button must not be clicked by a script either
    this.stop.disabled = !live;
    this.copyAnswer.hidden = !answerText(state);
    this.prompt.hidden = !state.prompt;
    if (this.promptText.textContent !== state.prompt) this.promptText.textContent = state.prompt;

    state.blocks.forEach((block, i) => {
      let view = this.blocks[i];
      if (!view || view.kind !== block.kind) {
        const fresh = blockView(block.kind, this.context);
        if (view) view.node.replaceWith(fresh.node);
        else this.blockList.appendChild(fresh.node);
        this.blocks[i] = view = fresh;
      }
      view.update(block);
    });
    for (const view of this.blocks.splice(state.blocks.length)) view.node.remove();

    this.notices.replaceChildren(...state.notices.map((n) => h("div", "rig-notice", n)));
    this.banner.textContent = state.error ?? "";
    this.banner.className = state.error ? `rig-banner rig-banner-${state.status}` : "rig-banner";
    this.usage.textContent = usageLine(state);
    this.usage.title = state.usage.cost_note ?? "";
    this.tail.refresh(live);
    titleBadge().set(this, state.status === "waiting");
  }

  destroy() {
    this.model.off("change:state", this.onChange);
    this.model.off("msg:custom", this.onMessage);
    this.tail.disconnect();
    titleBadge().set(this, false);
    this.root.remove();
  }
}
