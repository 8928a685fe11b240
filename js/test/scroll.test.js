import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { BOTTOM_SLACK, TailBox } from "../src/scroll.js";

describe("follow the tail, height cap", () => {
  /** A box with scripted layout metrics (jsdom has no layout). */
  function box() {
    const el = document.createElement("div");
    const metrics = { scrollHeight: 300, clientHeight: 300, scrollTop: 0 };
    for (const key of /** @type {const} */ (["scrollHeight", "clientHeight", "scrollTop"])) {
      Object.defineProperty(el, key, {
        get: () => metrics[key],
        set: (v) => {
          metrics[key] = Math.max(0, Math.min(v, metrics.scrollHeight - metrics.clientHeight));
        },
      });
    }
    return { el, metrics, tail: new TailBox(el) };
  }

  test("while streaming, new content scrolls into view", () => {
    const { metrics, tail } = box();
    metrics.scrollHeight = 900;
    tail.refresh(true);
    assert.equal(metrics.scrollTop, 600);
    metrics.scrollHeight = 1200;
    tail.refresh(true);
    assert.equal(metrics.scrollTop, 900);
  });

  test("scrolling up stops following; scrolling back to the bottom resumes it", () => {
    const { el, metrics, tail } = box();
    metrics.scrollHeight = 900;
    tail.refresh(true);
    el.dispatchEvent(new window.WheelEvent("wheel", { deltaY: -100 }));
    metrics.scrollTop = 500;
    el.dispatchEvent(new window.Event("scroll"));
    metrics.scrollHeight = 1500;
    tail.refresh(true);
    assert.equal(metrics.scrollTop, 500, "the reader's position is kept");
    metrics.scrollTop = 1200 - BOTTOM_SLACK + 1;
    el.dispatchEvent(new window.Event("scroll"));
    tail.refresh(true);
    assert.equal(metrics.scrollTop, 1200, "following again");
  });

  test("dragging the scrollbar up (only a scroll event) stops following", () => {
    const { el, metrics, tail } = box();
    metrics.scrollHeight = 900;
    tail.refresh(true);
    el.dispatchEvent(new window.Event("scroll"));
    metrics.scrollTop = 200;
    el.dispatchEvent(new window.Event("scroll"));
    metrics.scrollHeight = 1000;
    tail.refresh(true);
    assert.equal(metrics.scrollTop, 200);
  });

  test("text that arrives between reaching the bottom and its scroll event does not stop following", () => {
    const { el, metrics, tail } = box();
    metrics.scrollHeight = 900;
    tail.refresh(true); // following: at 600
    el.dispatchEvent(new window.WheelEvent("wheel", { deltaY: -100 }));
    metrics.scrollTop = 300;
    el.dispatchEvent(new window.Event("scroll")); // the reader went up
    metrics.scrollTop = 600; // ... and back down to the bottom; before the event fires,
    metrics.scrollHeight = 960; // a chunk of text arrives and is drawn
    tail.refresh(true);
    assert.equal(metrics.scrollTop, 600, "not following yet");
    el.dispatchEvent(new window.Event("scroll"));
    metrics.scrollHeight = 1000;
    tail.refresh(true);
    assert.equal(metrics.scrollTop, 700, "following again");
    // The same growth does not excuse a scroll up.
    el.dispatchEvent(new window.WheelEvent("wheel", { deltaY: -10 }));
    metrics.scrollTop = 690;
    metrics.scrollHeight = 1100;
    tail.refresh(true);
    el.dispatchEvent(new window.Event("scroll"));
    tail.refresh(true);
    assert.equal(metrics.scrollTop, 690);
  });

  test("an upward key or wheel stops following at once, before any scroll event", () => {
    for (const event of [new window.KeyboardEvent("keydown", { key: "PageUp" }), new window.WheelEvent("wheel", { deltaY: -3 })]) {
      const { el, metrics, tail } = box();
      metrics.scrollHeight = 900;
      tail.refresh(true);
      el.dispatchEvent(event);
      metrics.scrollHeight = 1000;
      tail.refresh(true);
      assert.equal(metrics.scrollTop, 600, event.type);
    }
  });

  test("a size change (first attached, an image loaded, a panel opened) refreshes the box", () => {
    /** @type {any[]} */
    const observers = [];
    globalThis.ResizeObserver = /** @type {any} */ (class {
      /** @param {Function} callback */
      constructor(callback) {
        this.callback = callback;
        this.targets = [];
        this.connected = true;
        observers.push(this);
      }
      /** @param {Element} target */
      observe(target) {
        this.targets.push(target);
      }
      disconnect() {
        this.connected = false;
      }
    });
    try {
      const content = document.createElement("div");
      const { el, metrics } = box();
      const tail = new TailBox(el, content);
      assert.deepEqual(observers.at(-1).targets, [el, content]);
      tail.refresh(true); // drawn while detached: nothing overflows yet
      assert.equal(tail.toggle.hidden, true);
      metrics.scrollHeight = 900; // attached and laid out
      observers.at(-1).callback();
      assert.equal(tail.toggle.hidden, false);
      assert.equal(metrics.scrollTop, 600, "still following the tail");
      tail.disconnect();
      assert.equal(observers.at(-1).connected, false);
    } finally {
      delete (/** @type {any} */ (globalThis)).ResizeObserver;
    }
  });

  test("not streaming: no scrolling; 'Show all' appears only when the cap hides something", () => {
    const { el, metrics, tail } = box();
    tail.refresh(false);
    assert.equal(tail.toggle.hidden, true);
    metrics.scrollHeight = 900;
    tail.refresh(false);
    assert.equal(metrics.scrollTop, 0);
    assert.equal(tail.toggle.hidden, false);
    tail.toggle.click();
    assert.ok(el.classList.contains("rig-expanded"));
    assert.equal(tail.toggle.textContent, "Show less");
    assert.equal(tail.toggle.getAttribute("aria-expanded"), "true");
    tail.toggle.click();
    assert.equal(el.classList.contains("rig-expanded"), false);
    assert.equal(tail.toggle.textContent, "Show all");
  });
});
