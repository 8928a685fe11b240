// @ts-check
/**
 * The batch view's state (`%%agent --over df --out results`): its types, the JSDoc twin of the
 * `_state` the kernel's `rig_nb.widgets.BatchView` syncs (see rig_nb/widgets/_batch.py), and
 * `normalize`, which turns whatever arrives into a well-typed state (missing keys get defaults,
 * wrong types are dropped), so drawing never meets a surprise. Every string is untrusted.
 *
 * @module batch/state
 */

/** @typedef {"running" | "stopping" | "done" | "stopped" | "failed"} BatchStatus */

/**
 * @typedef {object} HistoryLine
 * @property {string} role
 * @property {string} text
 */

/**
 * One failed row of the sample.
 * @typedef {object} Failure
 * @property {number} index  the row's position in the table
 * @property {string} row  the row's label
 * @property {string} error  the error's class name
 * @property {string} message
 * @property {number} attempts
 * @property {string} prompt  the prompt the row made
 * @property {HistoryLine[]} history
 */

/**
 * A tool that waits for a decision for every row of the batch (its first call's arguments).
 * @typedef {object} Approval
 * @property {string} tool
 * @property {string} args
 */

/**
 * @typedef {object} Decision
 * @property {string} tool
 * @property {string} decision  "approved" | "denied"
 * @property {string} by  who decided: "you" | "policy" | "headless" | "timeout"
 */

/**
 * @typedef {object} BatchState
 * @property {string} title
 * @property {string} out  the variable the result table lands in
 * @property {BatchStatus} status
 * @property {number | null} total  null: unknown length
 * @property {number} done  finished rows (cached rows included)
 * @property {number} failed
 * @property {number} running
 * @property {number} cached
 * @property {number} input_tokens
 * @property {number} output_tokens
 * @property {number | null} cost  US dollars; null: not priced
 * @property {number} elapsed  seconds
 * @property {number} rows_per_second
 * @property {number | null} eta  seconds left; null: unknown
 * @property {Failure[]} failures  a sample (the first failed rows)
 * @property {number} failures_more  failed rows not in the sample
 * @property {Approval[]} approvals
 * @property {Decision[]} decisions
 * @property {string[]} notices
 * @property {string | null} banner
 */

/**
 * What the front end sends the kernel.
 * @typedef {{kind: "stop"} | {kind: "approve", tool: string} | {kind: "deny", tool: string}} BatchMessage
 */

export const STATUSES = /** @type {const} */ (["running", "stopping", "done", "stopped", "failed"]);
/** The statuses of a batch that ended. */
export const ENDED = new Set(["done", "stopped", "failed"]);

/** @param {unknown} value @returns {Record<string, unknown>} */
function record(value) {
  return value && typeof value === "object" && !Array.isArray(value) ? /** @type {Record<string, unknown>} */ (value) : {};
}

/** @param {unknown} value @param {string} [fallback] @returns {string} */
function text(value, fallback = "") {
  return typeof value === "string" ? value : fallback;
}

/** A count: a finite number >= 0, else 0. @param {unknown} value @returns {number} */
function count(value) {
  return typeof value === "number" && Number.isFinite(value) && value > 0 ? value : 0;
}

/** A count or null. @param {unknown} value @returns {number | null} */
function maybe(value) {
  return typeof value === "number" && Number.isFinite(value) && value >= 0 ? value : null;
}

/** @param {unknown} value @returns {Record<string, unknown>[]} */
function list(value) {
  return Array.isArray(value) ? value.map(record) : [];
}

/**
 * A well-typed state from the trait's value (which may be `{}` before the first run).
 * @param {unknown} raw
 * @returns {BatchState}
 */
export function normalize(raw) {
  const s = record(raw);
  const status = /** @type {BatchStatus} */ (STATUSES.find((x) => x === s.status) ?? "running");
  return {
    title: text(s.title),
    out: text(s.out),
    status,
    total: maybe(s.total),
    done: count(s.done),
    failed: count(s.failed),
    running: count(s.running),
    cached: count(s.cached),
    input_tokens: count(s.input_tokens),
    output_tokens: count(s.output_tokens),
    cost: maybe(s.cost),
    elapsed: count(s.elapsed),
    rows_per_second: count(s.rows_per_second),
    eta: maybe(s.eta),
    failures: list(s.failures).map((f) => ({
      index: count(f.index),
      row: text(f.row),
      error: text(f.error),
      message: text(f.message),
      attempts: count(f.attempts),
      prompt: text(f.prompt),
      history: list(f.history).map((line) => ({ role: text(line.role), text: text(line.text) })),
    })),
    failures_more: count(s.failures_more),
    approvals: list(s.approvals)
      .filter((a) => typeof a.tool === "string")
      .map((a) => ({ tool: text(a.tool), args: text(a.args) })),
    decisions: list(s.decisions).map((d) => ({
      tool: text(d.tool),
      decision: text(d.decision),
      by: text(d.by),
    })),
    notices: Array.isArray(s.notices) ? s.notices.filter((n) => typeof n === "string") : [],
    banner: typeof s.banner === "string" ? s.banner : null,
  };
}
