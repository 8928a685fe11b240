// @ts-check
/**
 * The "⏸ approval · " prefix on the browser tab's title while a batch waits for an approval.
 *
 * It is the AgentView's badge (approvals.js `titleBadge`), one per page, kept on the document
 * under a global symbol: every view of the page, AgentView or batch view, marks the same one, so
 * answering one view's question never takes the prefix away while another still waits. A view
 * clears its mark only when it set one.
 *
 * @module batch/title
 */
import { titleBadge as badge, TITLE_PREFIX } from "../approvals.js";

export { TITLE_PREFIX };

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
