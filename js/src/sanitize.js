// @ts-check
/**
 * Sanitising: the one door between untrusted HTML strings and the DOM.
 *
 * The markdown renderer already escapes every piece of raw HTML the model writes; DOMPurify is the
 * second wall, with a strict allowlist: only the elements marked, highlight.js and KaTeX's MathML
 * produce, no style, no id/name, no data-/aria- attributes, links only to http(s) and mailto, no
 * images (markdown images become links; tool images are built by `imageSrc`, not parsed).
 *
 * @module sanitize
 */
import createDOMPurify from "dompurify";

/** Links the view keeps; anything else (javascript:, data:, vbscript:, relative) is stripped. */
export const SAFE_URL = /^(?:https?:\/\/|mailto:)/i;
const RASTER = new Set(["image/png", "image/jpeg", "image/gif", "image/webp"]);
const BASE64 = /^[A-Za-z0-9+/=\s]*$/;
const MATHML = "http://www.w3.org/1998/Math/MathML";

const HTML_TAGS = [
  "a", "p", "br", "hr", "em", "strong", "del", "s", "code", "pre", "blockquote", "span", "div",
  "ul", "ol", "li", "input", "table", "thead", "tbody", "tr", "th", "td",
  "h1", "h2", "h3", "h4", "h5", "h6",
];
/** What KaTeX's MathML output uses (never annotation-xml, an HTML integration point). */
const MATHML_TAGS = [
  "math", "semantics", "annotation", "mrow", "mi", "mn", "mo", "ms", "mtext", "mspace", "mfrac",
  "msqrt", "mroot", "msub", "msup", "msubsup", "munder", "mover", "munderover", "mtable", "mtr",
  "mtd", "mstyle", "mpadded", "mphantom", "menclose", "mmultiscripts", "mprescripts",
];
const MATHML_ATTRS = [
  "display", "mathvariant", "fence", "separator", "stretchy", "symmetric", "largeop",
  "movablelimits", "accent", "accentunder", "lspace", "rspace", "minsize", "maxsize", "width",
  "height", "depth", "voffset", "rowspacing", "columnspacing", "columnalign", "rowalign",
  "rowlines", "columnlines", "frame", "scriptlevel", "displaystyle", "linethickness", "notation",
  "encoding", "form",
];
/** Attributes allowed only on one element (by nodeName as the parser reports it). */
const ONLY_ON = /** @type {Record<string, string[]>} */ ({
  href: ["A"],
  title: ["A", "SPAN"],
  start: ["OL"],
  align: ["TH", "TD"],
  type: ["INPUT"],
  checked: ["INPUT"],
  disabled: ["INPUT"],
});
/** Classes the renderers produce; any other class (say, `rig-approve`) is dropped. */
const CLASS = /^(?:hljs(?:-[\w-]+)?|language-[\w+#.-]+|katex(?:-error|-display)?|contains-task-list|task-list-item)$/;

export const CONFIG = Object.freeze({
  ALLOWED_TAGS: [...HTML_TAGS, ...MATHML_TAGS],
  ALLOWED_ATTR: ["class", ...Object.keys(ONLY_ON), ...MATHML_ATTRS],
  // DOMPurify checks every attribute not listed as URI-safe against this pattern: only href is a URL.
  ALLOWED_URI_REGEXP: /^(?:https?|mailto):/i,
  ADD_URI_SAFE_ATTR: ["start", "align", "type", "checked", "disabled", ...MATHML_ATTRS],
  ALLOW_DATA_ATTR: false,
  ALLOW_ARIA_ATTR: false,
  ALLOW_UNKNOWN_PROTOCOLS: false,
  ALLOW_SELF_CLOSE_IN_ATTR: false,
  SAFE_FOR_XML: true,
  WHOLE_DOCUMENT: false,
  RETURN_DOM_FRAGMENT: true,
});

/** @type {import("dompurify").DOMPurify | null} */
let purifier = null;

function purify() {
  if (purifier) return purifier;
  const instance = createDOMPurify(window);
  instance.addHook("uponSanitizeAttribute", (node, data) => {
    const name = data.attrName;
    const only = ONLY_ON[name];
    if (only && !only.includes(node.nodeName)) data.keepAttr = false;
    else if (MATHML_ATTRS.includes(name) && node.namespaceURI !== MATHML) data.keepAttr = false;
    else if (name === "class") {
      const kept = data.attrValue.split(/\s+/).filter((c) => CLASS.test(c));
      if (kept.length) data.attrValue = kept.join(" ");
      else data.keepAttr = false;
    }
  });
  instance.addHook("afterSanitizeAttributes", (node) => {
    if (node.nodeName === "A" && node.hasAttribute("href")) {
      node.setAttribute("target", "_blank");
      node.setAttribute("rel", "noopener noreferrer nofollow");
    }
    if (node.nodeName === "INPUT") {
      // Only task-list checkboxes, and only to look at: any other input becomes one.
      node.setAttribute("type", "checkbox");
      node.setAttribute("disabled", "");
    }
  });
  purifier = instance;
  return instance;
}

/**
 * Untrusted HTML in, a safe fragment out. Links that lost their href (an unsafe URL) become their
 * text.
 * @param {string} html
 * @returns {DocumentFragment}
 */
export function sanitize(html) {
  const fragment = /** @type {DocumentFragment} */ (
    /** @type {unknown} */ (purify().sanitize(html, { ...CONFIG, RETURN_DOM_FRAGMENT: true }))
  );
  for (const a of fragment.querySelectorAll("a:not([href])")) a.replaceWith(...a.childNodes);
  return fragment;
}

/** @param {string} url */
export const isSafeUrl = (url) => SAFE_URL.test(url.trim());

/**
 * The `src` a tool image may have: a raster data: URL or an http(s) URL; null for anything else
 * (SVG, javascript:, non-base64 data).
 * @param {import("./protocol.js").ImageRef} image
 * @returns {string | null}
 */
export function imageSrc(image) {
  if ("url" in image) return /^https?:\/\//i.test(image.url) ? image.url : null;
  if (RASTER.has(image.mime) && image.data && BASE64.test(image.data)) {
    return `data:${image.mime};base64,${image.data.replace(/\s/g, "")}`;
  }
  return null;
}
