// @ts-check
/**
 * The "⏸ approval · " prefix on the browser tab's title while a batch waits for an approval.
 *
 * It reuses the AgentView's `TitleBadge` (approvals.js; esbuild keeps only that class). Every
 * batch view's module may be a separate instance (anywidget imports each widget's module), so
 * the badge lives on the document under a global symbol: all batch views of a page share one.
 * A view clears its mark only when it set one, so a view that never waited does not take the
 * prefix away from another that waits (the AgentView's badge, a separate registry, puts its
 * prefix back through its MutationObserver).
 *
 * @module batch/title
 */
import { TitleBadge, TITLE_PREFIX } from "../approvals.js";

export { TITLE_PREFIX };

const KEY = Symbol.for("rig_nb.batch.titleBadge");

/** The page's badge for batch views. @returns {TitleBadge} */
function badge() {
  const holder = /** @type {Document & {[KEY]?: TitleBadge}} */ (document);
  const existing = holder[KEY];
  if (existing) return existing;
  const created = new TitleBadge(document);
  holder[KEY] = created;
  return created;
}

/** One view's mark on the tab title. */
export class TitleMark {
  constructor() {
    this.waiting = false;
  }

  /** @param {boolean} waiting */
  set(waiting) {
    if (waiting === this.waiting) {
      if (waiting) badge().sync();
      return;
    }
    this.waiting = waiting;
    badge().set(this, waiting);
  }
}
