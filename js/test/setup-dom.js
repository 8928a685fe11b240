// A browser-like global environment for the unit tests: a jsdom window whose globals the
// front-end modules use (document, window, navigator, Node classes, MutationObserver).
// Scripts run ("dangerously"), so a <script> that ever reached the DOM would set window.__pwned.
import { JSDOM } from "jsdom";

const dom = new JSDOM(
  "<!doctype html><html><head><title>notebook.ipynb - JupyterLab</title></head><body></body></html>",
  { pretendToBeVisual: true, runScripts: "dangerously", url: "http://127.0.0.1/lab" },
);
const { window } = dom;
const names = [
  "window", "document", "Node", "Element", "HTMLElement", "DocumentFragment", "MutationObserver",
  "Event", "KeyboardEvent", "WheelEvent", "MouseEvent", "getSelection",
];
for (const name of names) {
  const value = name === "window" ? window : window[name];
  Object.defineProperty(globalThis, name, { value, configurable: true, writable: true });
}
Object.defineProperty(globalThis, "navigator", { value: window.navigator, configurable: true, writable: true });
