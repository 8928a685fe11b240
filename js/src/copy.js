// @ts-check
/**
 * Copy buttons: the async Clipboard API where the page may use it, else a hidden textarea and
 * `document.execCommand("copy")` (older browsers, insecure origins, a denied permission). The button
 * says "Copied" (or "Copy failed") for a moment, and announces it to screen readers.
 *
 * @module copy
 */
import { h } from "./dom.js";

/** How long the button shows its outcome. */
export const FEEDBACK_MS = 1500;

/**
 * Put `text` on the clipboard. Resolves to the way it was done, or rejects.
 * @param {string} text
 * @returns {Promise<"clipboard" | "fallback">}
 */
export async function copyText(text) {
  const clipboard = globalThis.navigator && navigator.clipboard;
  if (clipboard && typeof clipboard.writeText === "function") {
    try {
      await clipboard.writeText(text);
      return "clipboard";
    } catch {
      // denied or not focused: try the old way
    }
  }
  const area = h("textarea");
  area.value = text;
  area.setAttribute("readonly", "");
  area.style.position = "fixed";
  area.style.top = "-1000px";
  area.style.opacity = "0";
  document.body.appendChild(area);
  const selection = document.getSelection();
  const ranges = selection ? [...Array(selection.rangeCount).keys()].map((i) => selection.getRangeAt(i)) : [];
  try {
    area.select();
    const done = typeof document.execCommand === "function" && document.execCommand("copy");
    if (!done) throw new Error("the browser refused to copy");
    return "fallback";
  } finally {
    area.remove();
    if (selection) {
      selection.removeAllRanges();
      for (const range of ranges) selection.addRange(range);
    }
  }
}

/**
 * A button that copies what `getText()` returns when clicked.
 * @param {string} cls  extra classes (each kind of copy button has its own)
 * @param {() => string} getText
 * @param {{label?: string, title?: string, copy?: (text: string) => Promise<unknown>}} [options]
 * @returns {HTMLButtonElement}
 */
export function copyButton(cls, getText, options = {}) {
  const label = options.label ?? "Copy";
  const copy = options.copy ?? copyText;
  const button = h("button", `rig-button rig-copy ${cls}`, label);
  button.type = "button";
  button.title = options.title ?? "Copy to the clipboard";
  button.setAttribute("aria-live", "polite");
  /** @type {ReturnType<typeof setTimeout> | undefined} */
  let timer;
  button.addEventListener("click", async (event) => {
    event.preventDefault();
    event.stopPropagation();
    let ok = true;
    try {
      await copy(getText());
    } catch {
      ok = false;
    }
    button.textContent = ok ? "Copied ✓" : "Copy failed";
    button.dataset.copied = ok ? "yes" : "failed";
    clearTimeout(timer);
    timer = setTimeout(() => {
      button.textContent = label;
      delete button.dataset.copied;
    }, FEEDBACK_MS);
  });
  return button;
}
