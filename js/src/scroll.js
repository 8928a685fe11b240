// @ts-check
/**
 * The transcript box: a height cap with "Show all", and follow-the-tail while a run streams.
 *
 * Following stops the moment the user scrolls up (wheel, keys, touch, dragging the scrollbar) and
 * resumes when they scroll back to the bottom, as in chat UIs. Scroll events arrive a frame late:
 * text that arrived in between does not make "scrolled to the bottom" look like "scrolled up".
 *
 * @module scroll
 */
import { h } from "./dom.js";

/** Within this many pixels of the bottom counts as "at the bottom". */
export const BOTTOM_SLACK = 24;
const UP_KEYS = new Set(["ArrowUp", "PageUp", "Home"]);

export class TailBox {
  /**
   * @param {HTMLElement} box  the capped, scrolling element
   * @param {HTMLElement} [content]  what it holds: its size changing (an image loads, a panel opens,
   *   the view is first attached to the page) refreshes the box too
   */
  constructor(box, content) {
    this.box = box;
    this.following = true;
    this.streaming = false;
    /** Where the last scroll event left the box, and how much the content grew since. */
    this.lastTop = 0;
    this.lastHeight = 0;
    this.grown = 0;
    this.expanded = false;
    this.toggle = h("button", "rig-button rig-expand", "Show all");
    this.toggle.type = "button";
    this.toggle.hidden = true;
    this.toggle.addEventListener("click", () => this.setExpanded(!this.expanded));
    const stop = () => {
      this.following = false;
    };
    box.addEventListener("wheel", (event) => {
      if (event.deltaY < 0) stop();
    }, { passive: true });
    box.addEventListener("touchmove", stop, { passive: true });
    box.addEventListener("keydown", (event) => {
      if (UP_KEYS.has(event.key)) stop();
    });
    box.addEventListener("scroll", () => this.onScroll(), { passive: true });
    /** @type {ResizeObserver | null} */
    this.observer = null;
    if (typeof ResizeObserver === "function") {
      this.observer = new ResizeObserver(() => this.refresh(this.streaming));
      this.observer.observe(box);
      if (content) this.observer.observe(content);
    }
  }

  disconnect() {
    this.observer?.disconnect();
  }

  atBottom() {
    const { scrollHeight, scrollTop, clientHeight } = this.box;
    return scrollHeight - scrollTop - clientHeight <= BOTTOM_SLACK;
  }

  onScroll() {
    const { scrollHeight, scrollTop, clientHeight } = this.box;
    const distance = scrollHeight - scrollTop - clientHeight;
    const down = scrollTop > this.lastTop;
    if (distance <= BOTTOM_SLACK || (down && distance <= BOTTOM_SLACK + this.grown)) this.following = true;
    else if (scrollTop < this.lastTop) this.following = false; // up: scrollbar, keys, find in page
    this.lastTop = scrollTop;
    this.grown = 0;
  }

  /** @param {boolean} expanded */
  setExpanded(expanded) {
    this.expanded = expanded;
    this.box.classList.toggle("rig-expanded", expanded);
    this.toggle.textContent = expanded ? "Show less" : "Show all";
    this.toggle.setAttribute("aria-expanded", String(expanded));
    this.refresh(false);
  }

  /**
   * After the content changed: keep the tail in sight while following (and `streaming`), and show
   * "Show all" only when the cap hides something.
   * @param {boolean} streaming
   */
  refresh(streaming) {
    this.streaming = streaming;
    const height = this.box.scrollHeight;
    this.grown += Math.max(0, height - this.lastHeight);
    this.lastHeight = height;
    if (streaming && this.following && !this.expanded) {
      this.box.scrollTop = height;
      this.lastTop = this.box.scrollTop;
    }
    const overflows = this.box.scrollHeight > this.box.clientHeight + 1;
    this.toggle.hidden = !(this.expanded || overflows);
  }
}
