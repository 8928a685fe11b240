// @ts-check
/**
 * The view: builds the widget's DOM once, then draws each new state into it.
 *
 * Layout, top to bottom: status with "Copy answer" and Stop; the user's prompt; the transcript
 * (capped, following the tail while the run streams); "Show all"; notices; the error banner; usage.
 *
 * @module view
 */
import { bulkBar, titleBadge } from "./approvals.js";
import { blockView } from "./blocks.js";
import { copyButton } from "./copy.js";
import { h } from "./dom.js";
import { cellInserter } from "./notebook.js";
import { TailBox } from "./scroll.js";
import { EMPTY, STATUS_LABELS, answerText, isLive, step, usageLine, waitingCalls, withBuffers } from "./state.js";

/** @typedef {import("./protocol.js").ViewState} ViewState */
/** @typedef {import("./protocol.js").FrontEndMessage} FrontEndMessage */
/** @typedef {import("./blocks.js").BlockView} BlockView */

/**
 * The widget's traits, as the kernel defines them (rig_nb.widgets.AgentView).
 * @typedef {{_state: unknown, _view_id: string, rendered: boolean, saves_state: boolean}} Model
 */

/**
 * Whether the notebook saves widget state (JupyterLab's "Save Widget State Automatically"; the
 * widget manager holds that setting): then a finished run's output keeps the live view, else the
 * kernel leaves the transcript only (rig_nb/widgets/_view.py, `saved_view`).
 * @param {unknown} model
 */
export function savesWidgetState(model) {
  const manager = /** @type {{widget_manager?: {_settings?: {saveState?: unknown}}}} */ (model).widget_manager;
  return manager?._settings?.saveState === true;
}

/**
 * While the live view lives, the output that repeats it as a transcript (shown for readers without
 * widgets; rig_nb/widgets/_view.py `_refresh_displays`) is hidden: one CSS rule, removed with the
 * view. `:has()` needs Chromium 105+, Firefox 121+, Safari 15.4+.
 * @param {string} id  the view's widget id
 * @returns {HTMLStyleElement | null}
 */
function hideTwin(id) {
  if (!/^[\w-]+$/.test(id)) return null;
  const rule = h("style");
  rule.textContent = `.jp-OutputArea-child:has(.rig-nb-transcript[data-rig-view="${id}"]) { display: none; }`;
  document.head.appendChild(rule);
  return rule;
}

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
    /** @type {import("./blocks.js").BlockContext} */
    this.context = {
      send, open: new Map(), reasons: new Map(), drafts: new Map(), editing: new Set(), schemas: {},
      redraw: (id) => this.redrawCard(id),
      insertCell: cellInserter(model, String(model.get("_view_id") ?? "")),
    };
    /** @type {BlockView[]} */
    this.blocks = [];
    /** A request for the whole state is on its way. */
    this.awaitingState = false;
    /** @type {string[] | null} */
    this.drawnNotices = null;

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

    // The system prompt first, collapsed (it can be long); then the user's prompt.
    this.system = h("details", "rig-system");
    this.systemText = h("div", "rig-system-text");
    this.system.append(h("summary", "", "System prompt"), this.systemText);
    this.prompt = h("div", "rig-prompt");
    this.promptText = h("div", "rig-prompt-text");
    this.prompt.append(h("span", "rig-prompt-label", "You"), this.promptText);

    this.body = h("div", "rig-body");
    this.body.tabIndex = 0; // keyboard users can scroll it
    this.body.setAttribute("aria-label", "agent transcript");
    this.blockList = h("div", "rig-blocks");
    this.body.appendChild(this.blockList);
    this.tail = new TailBox(this.body, this.blockList);
    this.bulk = h("div", "rig-bulk-slot");
    this.bulkCount = 0;
    this.notices = h("div", "rig-notices");
    this.banner = h("div", "rig-banner");
    this.banner.setAttribute("role", "alert");
    this.usage = h("div", "rig-usage");
    this.root.append(header, this.system, this.prompt, this.body, this.tail.toggle, this.bulk, this.notices, this.banner, this.usage);
    el.appendChild(this.root);

    this.onChange = () => this.receive({ type: "state", state: model.get("_state") });
    model.on("change:_state", this.onChange);
    /**
     * Messages sent with `widget.send({"type": ...})` (deltas, whole states) go through the same
     * reducer, their binary buffers (images) put back in place.
     * @param {unknown} msg
     * @param {unknown[]} [buffers]
     */
    this.onMessage = (msg, buffers) => {
      if (msg && typeof msg === "object" && typeof (/** @type {{type?: unknown}} */ (msg).type) === "string") {
        this.receive(/** @type {import("./protocol.js").Message} */ (withBuffers(msg, buffers)));
      }
    };
    model.on("msg:custom", this.onMessage);
    this.onChange();
    // A run under way: the trait holds its start (the deltas since went to the views that were
    // there), so ask for the whole state.
    if (isLive(this.state)) this.requestState();
    this.twinRule = hideTwin(String(model.get("_view_id") ?? ""));
    model.set("rendered", true);
    model.set("saves_state", savesWidgetState(model));
    model.save_changes();
  }

  /**
   * One message from the kernel: reduce, then draw.
   * @param {import("./protocol.js").Message} message
   */
  receive(message) {
    const { next, resync } = step(this.state, message);
    if (message.type === "state") this.awaitingState = false;
    if (resync) this.requestState();
    if (next !== this.state) this.draw(next);
  }

  /** Draw one card again (its Edit was opened or closed). @param {string} id */
  redrawCard(id) {
    const index = this.state.blocks.findIndex((b) => b.kind === "tool" && b.id === id);
    const view = /** @type {any} */ (this.blocks[index]);
    if (!view) return;
    view.force?.();
    view.update(this.state.blocks[index]);
    view.node.querySelector("textarea")?.focus();
  }

  /** Ask the kernel for the whole state (once until it comes). */
  requestState() {
    if (this.awaitingState) return;
    this.awaitingState = true;
    this.model.send({ kind: "request_state" });
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
    this.system.hidden = !state.system;
    if (this.systemText.textContent !== state.system) this.systemText.textContent = state.system;
    this.prompt.hidden = !state.prompt;
    if (this.promptText.textContent !== state.prompt) this.promptText.textContent = state.prompt;

    this.context.schemas = state.schemas;
    const waiting = waitingCalls(state);
    if (waiting !== this.bulkCount) {
      this.bulkCount = waiting;
      this.bulk.replaceChildren(...(waiting >= 2 ? [bulkBar(waiting, this.context.send)] : []));
    }
    state.blocks.forEach((block, i) => {
      let view = this.blocks[i];
      if (view && view.block === block) return; // unchanged: a delta keeps the same object
      if (!view || view.kind !== block.kind) {
        const fresh = blockView(block.kind, this.context);
        if (view) view.node.replaceWith(fresh.node);
        else this.blockList.appendChild(fresh.node);
        this.blocks[i] = view = fresh;
      }
      view.block = block;
      view.update(block);
    });
    for (const view of this.blocks.splice(state.blocks.length)) view.node.remove();

    if (state.notices !== this.drawnNotices) {
      this.drawnNotices = state.notices;
      this.notices.replaceChildren(...state.notices.map((n) => h("div", "rig-notice", n)));
    }
    this.banner.textContent = state.error ?? "";
    this.banner.className = state.error ? `rig-banner rig-banner-${state.status}` : "rig-banner";
    this.usage.textContent = usageLine(state);
    this.usage.title = state.usage.cost_note ?? "";
    this.tail.refresh(live);
    titleBadge().set(this, state.status === "waiting");
  }

  destroy() {
    this.model.off("change:_state", this.onChange);
    this.model.off("msg:custom", this.onMessage);
    this.tail.disconnect();
    this.twinRule?.remove();
    titleBadge().set(this, false);
    this.root.remove();
  }
}
