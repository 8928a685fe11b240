// @ts-check
/**
 * The batch view's DOM: built once, then each state is drawn into it. Every string of the state
 * goes in through textContent (dom.js `h`), never as HTML.
 *
 * Layout, top to bottom: title, status and Stop; the progress bar; the stats line; the approvals
 * (one card per tool, for every row); the decisions; notices; the failures sample; the banner.
 *
 * @module batch/view
 */
import { h } from "../dom.js";
import { duration, money, rate, thousands } from "./format.js";
import { ENDED, normalize } from "./state.js";
import { TitleMark } from "./title.js";

/** @typedef {import("./state.js").BatchState} BatchState */
/** @typedef {import("./state.js").Approval} Approval */
/** @typedef {import("./state.js").Decision} Decision */
/** @typedef {import("./state.js").Failure} Failure */
/** @typedef {import("./state.js").BatchMessage} BatchMessage */

/**
 * The widget's traits, as the kernel defines them (rig_nb.widgets.BatchView).
 * @typedef {{_state: unknown, rendered: boolean}} Model
 */

const STATUS_WORDS = {
  running: "Running",
  stopping: "Stopping",
  done: "Done",
  stopped: "Stopped",
  failed: "Failed",
};

/**
 * The stats line: "412 / 1,000 rows · 3 failed · 8 running · ... · 1m 38s elapsed".
 * @param {BatchState} s
 * @returns {string}
 */
export function statsLine(s) {
  const parts = [
    s.total === null ? `${thousands(s.done)} rows` : `${thousands(s.done)} / ${thousands(s.total)} rows`,
    `${thousands(s.failed)} failed`,
    `${thousands(s.running)} running`,
  ];
  if (s.cached > 0) parts.push(`${thousands(s.cached)} cached`);
  parts.push(`${thousands(s.input_tokens)} in`, `${thousands(s.output_tokens)} out tokens`);
  if (s.cost !== null) parts.push(money(s.cost));
  parts.push(`${rate(s.rows_per_second)} rows/s`);
  if (s.eta !== null && !ENDED.has(s.status)) parts.push(`ETA ${duration(s.eta)}`);
  parts.push(`${duration(s.elapsed)} elapsed`);
  return parts.join(" · ");
}

/**
 * A decision as a line: "search: approved for all rows by you", "search: denied by policy".
 * @param {Decision} d
 * @returns {string}
 */
export function decisionLine(d) {
  const what = d.decision || "decided";
  /** @type {string} */
  let how;
  if (d.by === "you") how = `${what} for all rows by you`;
  else if (d.by === "policy") how = `${what} by policy`;
  else if (d.by === "headless" && what === "denied") how = "denied: nobody to ask (headless)";
  else if (d.by === "timeout" && what === "denied") how = "denied: no answer in time";
  else how = d.by ? `${what} (${d.by})` : what;
  return `${d.tool}: ${how}`;
}

/**
 * A failure's one-line summary: "row 7 · ValueError: the first line of the message".
 * @param {Failure} f
 * @returns {string}
 */
export function failureSummary(f) {
  const first = f.message.split(/\r\n|\r|\n/, 1)[0] ?? "";
  const what = f.error && first ? `${f.error}: ${first}` : f.error || first;
  return `row ${f.row || String(f.index)} · ${what}`;
}

export class BatchView {
  /**
   * @param {import("@anywidget/types").AnyModel<Model>} model
   * @param {HTMLElement} el
   */
  constructor(model, el) {
    this.model = model;
    this.el = el;
    /** tools the user answered here (their buttons stay disabled until the kernel drops them) */
    this.answered = new Set();
    this.stopSent = false;
    this.title = new TitleMark();
    /** @type {Map<string, {key: string, node: HTMLElement}>} */
    this.cards = new Map();
    /** @type {Map<number, {key: string, node: HTMLDetailsElement}>} */
    this.details = new Map();
    /** @type {BatchState} */
    this.state = normalize({});

    this.root = h("div", "rig-batch");
    const header = h("div", "rig-batch-header");
    this.heading = h("span", "rig-batch-title");
    this.status = h("span", "rig-batch-status");
    this.stop = h("button", "rig-batch-button rig-batch-stop", "Stop");
    this.stop.type = "button";
    this.stop.title = "Stop the batch: no new rows start, the rows that finished are kept";
    this.stop.addEventListener("click", () => {
      if (this.stopSent) return;
      this.stopSent = true;
      this.send({ kind: "stop" });
      this.drawStop();
    });
    header.append(this.heading, this.status, this.stop);

    this.bar = h("div", "rig-batch-bar");
    this.bar.setAttribute("role", "progressbar");
    this.bar.setAttribute("aria-label", "rows finished");
    this.bar.setAttribute("aria-valuemin", "0");
    this.segments = {
      done: h("div", "rig-batch-seg rig-batch-seg-done"),
      failed: h("div", "rig-batch-seg rig-batch-seg-failed"),
      running: h("div", "rig-batch-seg rig-batch-seg-running"),
    };
    this.bar.append(this.segments.done, this.segments.failed, this.segments.running);

    this.stats = h("div", "rig-batch-stats");
    this.approvals = h("div", "rig-batch-approvals");
    this.approvals.setAttribute("role", "group");
    this.approvals.setAttribute("aria-label", "tool calls waiting for approval");
    this.decisions = h("div", "rig-batch-decisions");
    this.notices = h("div", "rig-batch-notices");
    this.failures = h("div", "rig-batch-failures");
    this.failuresTitle = h("div", "rig-batch-failures-title");
    this.failureList = h("div", "rig-batch-failure-list");
    this.failuresMore = h("div", "rig-batch-failures-more");
    this.failures.append(this.failuresTitle, this.failureList, this.failuresMore);
    this.banner = h("div", "rig-batch-banner");
    this.banner.setAttribute("role", "status");

    this.root.append(header, this.bar, this.stats, this.approvals, this.decisions, this.notices, this.failures, this.banner);
    el.appendChild(this.root);

    this.onChange = () => this.draw(normalize(model.get("_state")));
    model.on("change:_state", this.onChange);
    this.onChange();
    model.set("rendered", true);
    model.save_changes();
  }

  /** @param {BatchMessage} message */
  send(message) {
    this.model.send(message);
  }

  /** @param {BatchState} s */
  draw(s) {
    this.state = s;
    const ended = ENDED.has(s.status);
    const waiting = !ended && s.approvals.some((a) => !this.answered.has(a.tool));
    this.root.setAttribute("data-status", s.status);
    this.heading.textContent = s.title;
    this.heading.title = s.title; // the whole title when the line cuts it
    this.status.textContent = waiting && s.status === "running" ? "Waiting for approval" : STATUS_WORDS[s.status];
    this.drawStop();
    this.drawBar(s);
    this.stats.textContent = statsLine(s);
    this.drawApprovals(ended ? [] : s.approvals);
    this.decisions.replaceChildren(...s.decisions.map((d) => h("div", "rig-batch-decision", decisionLine(d))));
    this.notices.replaceChildren(...s.notices.map((n) => h("div", "rig-batch-notice", n)));
    this.drawFailures(s);
    const banner = ended ? s.banner : null;
    this.banner.textContent = banner ?? "";
    this.banner.hidden = !banner;
    this.banner.className = `rig-batch-banner rig-batch-banner-${s.status}`;
    this.title.set(waiting);
  }

  drawStop() {
    const status = this.state.status;
    this.stop.hidden = ENDED.has(status);
    const stopping = status === "stopping" || (status === "running" && this.stopSent);
    this.stop.disabled = stopping;
    this.stop.textContent = stopping ? "Stopping…" : "Stop";
  }

  /** @param {BatchState} s */
  drawBar(s) {
    const total = s.total;
    this.bar.hidden = !total;
    if (!total) {
      for (const name of ["aria-valuenow", "aria-valuemax", "aria-valuetext"]) this.bar.removeAttribute(name);
      return;
    }
    const finished = Math.min(total, s.done + s.failed);
    this.bar.setAttribute("aria-valuemax", String(total));
    this.bar.setAttribute("aria-valuenow", String(finished));
    this.bar.setAttribute(
      "aria-valuetext",
      `${thousands(s.done)} done, ${thousands(s.failed)} failed, ${thousands(s.running)} running of ${thousands(total)} rows`,
    );
    let left = 100;
    for (const name of /** @type {const} */ (["done", "failed", "running"])) {
      const share = Math.min(left, (100 * s[name]) / total);
      left -= share;
      this.segments[name].style.width = `${share.toFixed(3)}%`;
    }
  }

  /** @param {Approval[]} approvals */
  drawApprovals(approvals) {
    const tools = new Set(approvals.map((a) => a.tool));
    for (const tool of this.answered) if (!tools.has(tool)) this.answered.delete(tool);
    /** @type {Map<string, {key: string, node: HTMLElement}>} */
    const cards = new Map();
    for (const approval of approvals) {
      if (cards.has(approval.tool)) continue;
      const key = approval.args;
      const old = this.cards.get(approval.tool);
      cards.set(approval.tool, old && old.key === key ? old : { key, node: this.card(approval) });
    }
    this.cards = cards;
    this.approvals.replaceChildren(...[...cards.values()].map((c) => c.node));
    this.approvals.hidden = cards.size === 0;
  }

  /**
   * One tool's card: "`tool` wants to run — for every row of this batch", its arguments, and
   * "Approve for all rows" / "Deny for all rows".
   * @param {Approval} approval
   * @returns {HTMLElement}
   */
  card(approval) {
    const card = h("div", "rig-batch-approval");
    const line = h("div", "rig-batch-approval-line");
    line.append(h("code", "rig-batch-tool", approval.tool), document.createTextNode(" wants to run — for every row of this batch"));
    const args = h("pre", "rig-batch-args", approval.args);
    args.tabIndex = 0; // keyboard users can scroll it
    args.setAttribute("aria-label", "arguments of the first call");
    const buttons = h("div", "rig-batch-approval-buttons");
    const answered = this.answered.has(approval.tool);
    for (const [label, kind] of /** @type {const} */ ([["Approve for all rows", "approve"], ["Deny for all rows", "deny"]])) {
      const button = h("button", `rig-batch-button rig-batch-${kind}`, label);
      button.type = "button";
      button.disabled = answered;
      button.addEventListener("click", () => {
        if (this.answered.has(approval.tool)) return;
        this.answered.add(approval.tool);
        for (const b of buttons.querySelectorAll("button")) b.disabled = true;
        card.setAttribute("data-answered", kind);
        this.send({ kind, tool: approval.tool });
        this.draw(this.state); // the status word and the tab title
      });
      buttons.appendChild(button);
    }
    if (answered) card.setAttribute("data-answered", "yes");
    card.append(line, args, buttons);
    return card;
  }

  /** @param {BatchState} s */
  drawFailures(s) {
    const count = Math.max(s.failed, s.failures.length + s.failures_more);
    this.failures.hidden = count === 0;
    this.failuresTitle.textContent = `Failures (${thousands(count)})`;
    /** @type {Map<number, {key: string, node: HTMLDetailsElement}>} */
    const details = new Map();
    for (const failure of s.failures) {
      if (details.has(failure.index)) continue;
      const key = JSON.stringify(failure);
      const old = this.details.get(failure.index);
      if (old && old.key === key) {
        details.set(failure.index, old);
      } else {
        const node = failureDetails(failure);
        node.open = old?.node.open ?? false;
        details.set(failure.index, { key, node });
      }
    }
    this.details = details;
    this.failureList.replaceChildren(...[...details.values()].map((d) => d.node));
    const out = s.out || "results";
    this.failuresMore.textContent =
      s.failures_more > 0 ? `and ${thousands(s.failures_more)} more in ${out}[${out}.status == 'failed']` : "";
    this.failuresMore.hidden = s.failures_more === 0;
  }

  destroy() {
    this.model.off("change:_state", this.onChange);
    this.title.set(false);
    this.root.remove();
  }
}

/**
 * A failed row: its summary, and when opened its prompt, attempts and history.
 * @param {Failure} f
 * @returns {HTMLDetailsElement}
 */
export function failureDetails(f) {
  const node = h("details", "rig-batch-failure");
  node.appendChild(h("summary", "rig-batch-failure-summary", failureSummary(f)));
  node.append(
    h("div", "rig-batch-label", "Prompt"),
    h("pre", "rig-batch-prompt", f.prompt),
    h("div", "rig-batch-attempts", `${thousands(f.attempts)} ${f.attempts === 1 ? "attempt" : "attempts"}`),
    h("div", "rig-batch-label", "History"),
    h("pre", "rig-batch-history", f.history.map((line) => `${line.role}: ${line.text}`).join("\n")),
  );
  return node;
}
