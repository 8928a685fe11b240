// @ts-check
/**
 * Edit before approving: a waiting card's arguments become an editable JSON field, checked as the
 * user types against the tool's JSON schema (@cfworker/json-schema: no eval, drafts 4 to
 * 2020-12). Approve then sends the edited text; the kernel checks it again (rig_nb/widgets/_edits.py)
 * and refuses a bad one on the card. Every message shown is text.
 *
 * @module edit
 */
import { Validator } from "@cfworker/json-schema";
import { h } from "./dom.js";

/** @typedef {import("./protocol.js").ToolBlock} ToolBlock */

/** Problems shown at most. */
const MAX_PROBLEMS = 5;

/**
 * What is wrong with an edit: [] when it is a JSON object valid for `schema`.
 * @param {string} text
 * @param {unknown} schema  the tool's arguments schema (none: any object)
 * @returns {string[]}
 */
export function checkEdit(text, schema) {
  /** @type {unknown} */
  let value;
  try {
    value = JSON.parse(text);
  } catch (error) {
    return [`not JSON: ${error instanceof Error ? error.message : String(error)}`];
  }
  if (value === null || typeof value !== "object" || Array.isArray(value)) {
    return [`the arguments must be a JSON object, not ${value === null ? "null" : Array.isArray(value) ? "an array" : typeof value}`];
  }
  if (!schema || typeof schema !== "object") return [];
  /** @type {import("@cfworker/json-schema").OutputUnit[]} */
  let errors;
  try {
    const result = new Validator(/** @type {any} */ (schema), "2020-12", false).validate(value);
    errors = result.valid ? [] : result.errors;
  } catch (error) {
    return [`the tool's schema cannot be checked: ${error instanceof Error ? error.message : String(error)}`];
  }
  // The innermost errors say what is wrong; the outer ones only that something below is.
  const leaves = errors.filter((e) => !errors.some((o) => o !== e && o.instanceLocation.startsWith(e.instanceLocation) && o.keywordLocation.startsWith(e.keywordLocation)));
  const problems = (leaves.length ? leaves : errors).map((e) => {
    const where = e.instanceLocation.replace(/^#\/?/, "");
    return where ? `${where}: ${e.error}` : e.error;
  });
  const unique = [...new Set(problems)];
  return unique.length > MAX_PROBLEMS
    ? [...unique.slice(0, MAX_PROBLEMS), `and ${unique.length - MAX_PROBLEMS} more`]
    : unique;
}

/**
 * Is `text` the same JSON as the model's arguments?
 * @param {string} text
 * @param {string} asked
 */
export function sameJson(text, asked) {
  try {
    return JSON.stringify(JSON.parse(text)) === JSON.stringify(JSON.parse(asked));
  } catch {
    return text.trim() === asked.trim();
  }
}

/**
 * The editor of a waiting card: a textarea with the arguments and the problems under it.
 * `drafts` keeps what the user typed across re-renders of the card.
 * @param {ToolBlock} block
 * @param {unknown} schema
 * @param {Map<string, string>} drafts
 * @param {(problems: string[]) => void} onCheck  called after each check (the Approve button)
 */
export function argumentsEditor(block, schema, drafts, onCheck) {
  const box = h("div", "rig-edit");
  const area = h("textarea", "rig-edit-args");
  area.spellcheck = false;
  area.setAttribute("aria-label", `arguments for ${block.name}`);
  area.value = drafts.get(block.id) ?? block.args;
  area.rows = Math.min(12, Math.max(3, area.value.split("\n").length + 1));
  const problems = h("ul", "rig-edit-problems");
  problems.setAttribute("aria-live", "polite");
  const check = () => {
    drafts.set(block.id, area.value);
    const found = checkEdit(area.value, schema);
    problems.replaceChildren(...found.map((p) => h("li", "", p)));
    box.dataset.valid = found.length ? "no" : "yes";
    onCheck(found);
  };
  area.addEventListener("input", check);
  box.append(area, problems);
  return { node: box, area, check };
}
