import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { renderMarkdown } from "../src/markdown.js";
import { imageSrc, isSafeUrl, sanitize } from "../src/sanitize.js";
import { BLOCK_PAYLOADS, PAYLOADS, unsafeParts } from "./helpers.js";

/** @param {string} html */
const clean = (html) => {
  const div = document.createElement("div");
  div.appendChild(sanitize(html));
  return div;
};
const pwned = () => /** @type {any} */ (window).__pwned;

describe("the XSS corpus (tests/browser/xss_payloads.json) through the markdown renderer", () => {
  for (const [name, corpus] of [["line", PAYLOADS], ["block", BLOCK_PAYLOADS]]) {
    test(`${corpus.length} ${name} payloads, alone and all together: nothing unsafe reaches the DOM`, () => {
      for (const payload of [...corpus, corpus.join("\n\n"), corpus.join("\n")]) {
        const root = renderMarkdown(payload);
        document.body.appendChild(root); // live in a document that runs scripts
        assert.deepEqual(unsafeParts(root), [], payload);
        root.remove();
      }
      assert.equal(pwned(), undefined);
    });
  }

  test("payloads split at every position while streaming stay safe at each step", () => {
    for (const payload of [...PAYLOADS.slice(0, 12), ...BLOCK_PAYLOADS]) {
      for (let cut = 1; cut < payload.length; cut += 2) {
        const root = renderMarkdown(payload.slice(0, cut));
        assert.deepEqual(unsafeParts(root), [], JSON.stringify(payload.slice(0, cut)));
      }
    }
  });

  test("the corpus has math and table payloads", () => {
    assert.ok(PAYLOADS.filter((p) => p.includes("$")).length >= 12);
    assert.ok(BLOCK_PAYLOADS.some((p) => /\|\s*\n\|-/.test(p)), "a GFM table");
    assert.ok(BLOCK_PAYLOADS.some((p) => p.startsWith("$$\n")), "a display-math block");
  });

  test("HTML-looking payloads stay readable as the characters they are", () => {
    for (const payload of PAYLOADS.filter((p) => p.startsWith("<") && !p.includes("](") && !p.includes("$"))) {
      const root = renderMarkdown(payload);
      assert.ok((root.textContent ?? "").includes(payload), payload);
    }
  });
});

describe("KaTeX runs untrusted: trust off", () => {
  test("\\href and \\url make no link, even to a safe URL", () => {
    for (const tex of ["\\href{javascript:alert(1)}{x}", "\\href{https://example.com}{x}", "\\url{https://example.com}", "\\url{javascript:alert(1)}"]) {
      for (const text of [`$${tex}$`, `$$\n${tex}\n$$`]) {
        const root = renderMarkdown(text);
        assert.equal(root.querySelectorAll("a, [href]").length, 0, text);
      }
    }
  });

  test("\\htmlClass, \\htmlId, \\htmlStyle, \\htmlData set nothing", () => {
    const root = renderMarkdown("$\\htmlClass{rig-approve}{a} \\htmlId{rig-stop}{b} \\htmlStyle{color:red}{c} \\htmlData{x=1}{d}$");
    assert.equal(root.querySelectorAll(".rig-approve, #rig-stop, [style], [id], [data-x]").length, 0);
    assert.ok(root.querySelector("math"), "the formula still renders (its commands as inert text)");
  });

  test("\\includegraphics loads no image", () => {
    const root = renderMarkdown("$\\includegraphics{https://example.com/x.png}$");
    assert.equal(root.querySelectorAll("img, [src]").length, 0);
  });

  test("\\color and \\rule cannot paint over the view (no colour or background attributes kept)", () => {
    const root = renderMarkdown("$\\color{white}{hidden} \\colorbox{red}{x} \\rule{10em}{10em}$");
    assert.equal(root.querySelectorAll("[mathcolor], [mathbackground], [style]").length, 0);
  });
});

describe("sanitize (the DOMPurify wall, given raw HTML directly)", () => {
  test("script, event handlers, iframes, forms, styles and images are gone", () => {
    const div = clean('<script>window.__pwned=1</script><img src=x onerror="window.__pwned=1"><iframe src="https://x"></iframe><form action="https://x"><button>b</button></form><style>*{}</style><p onclick="x()" style="color:red" id="a" name="b">text</p>');
    assert.equal(div.innerHTML, "b<p>text</p>"); // the text of a removed element stays, as text
    assert.equal(pwned(), undefined);
  });

  test("links: only http(s) and mailto hrefs survive; a link without one becomes its text", () => {
    const div = clean('<a href="https://a.test">a</a><a href="mailto:x@y">b</a><a href="javascript:alert(1)">c</a><a href=" JaVaScRiPt:alert(1)">d</a><a href="data:text/html,x">e</a><a href="/rel">f</a><a href="vbscript:x">g</a>');
    assert.deepEqual([...div.querySelectorAll("a")].map((a) => a.getAttribute("href")), ["https://a.test", "mailto:x@y"]);
    assert.equal(div.textContent, "abcdefg");
    assert.equal(div.querySelector("a")?.getAttribute("rel"), "noopener noreferrer nofollow");
  });

  test("classes are kept only for what the renderers make; the view's own classes never", () => {
    const div = clean('<span class="hljs-keyword rig-approve">k</span><code class="language-python x">c</code><span class="rig-button">b</span><span class="katex katex-error">m</span>');
    assert.deepEqual([...div.querySelectorAll("span, code")].map((e) => e.getAttribute("class")), ["hljs-keyword", "language-python", null, "katex katex-error"]);
  });

  test("attributes are kept only on their element: href on <a>, align on cells, MathML ones on MathML", () => {
    const div = clean('<span href="https://x" title="t">s</span><p align="center" display="block">p</p><td align="left">c</td><ol start="3" type="a"><li>x</li></ol>');
    assert.equal(div.querySelector("span")?.hasAttribute("href"), false);
    assert.equal(div.querySelector("span")?.getAttribute("title"), "t");
    assert.equal(div.querySelector("p")?.attributes.length, 0);
    assert.equal(div.querySelector("ol")?.getAttribute("start"), "3");
    assert.equal(div.querySelector("ol")?.hasAttribute("type"), false);
  });

  test("any input becomes a disabled checkbox (task lists only)", () => {
    const div = clean('<input type="text" value="v" name="n" autofocus onfocus="x()"><input type="checkbox" checked>');
    const inputs = [...div.querySelectorAll("input")];
    assert.deepEqual(inputs.map((i) => [i.getAttribute("type"), i.hasAttribute("disabled"), i.attributes.length]), [
      ["checkbox", true, 2],
      ["checkbox", true, 3],
    ]);
  });

  test("MathML: KaTeX's elements stay; annotation-xml (an HTML integration point) and links go", () => {
    const div = clean('<math display="block"><semantics><mrow><mi href="javascript:x" mathvariant="bold">x</mi></mrow><annotation encoding="application/x-tex">x</annotation><annotation-xml encoding="text/html"><img src=x onerror="window.__pwned=1"></annotation-xml></semantics></math>');
    assert.equal(div.querySelector("math")?.getAttribute("display"), "block");
    assert.equal(div.querySelector("mi")?.getAttribute("mathvariant"), "bold");
    assert.equal(div.querySelector("mi")?.hasAttribute("href"), false);
    assert.equal(div.querySelectorAll("annotation-xml, img").length, 0);
  });

  test("SVG and mXSS shapes are removed", () => {
    const div = clean('<svg><a xlink:href="javascript:x"><text>t</text></a></svg><math><mtext><table><mglyph><style><img src=x onerror="window.__pwned=1">');
    assert.deepEqual(unsafeParts(div), []);
    assert.equal(div.querySelectorAll("svg, img, style").length, 0);
  });
});

describe("URLs the view builds itself", () => {
  test("isSafeUrl: http(s) and mailto only", () => {
    assert.deepEqual(["https://a", "HTTP://a", "mailto:a@b", " https://a", "javascript:x", "data:x", "/a", "ftp://a"].map(isSafeUrl), [true, true, true, true, false, false, false, false]);
  });

  test("imageSrc: raster data: URLs and http(s) URLs; never SVG, never script", () => {
    assert.equal(imageSrc({ mime: "image/png", data: "iVBORw0KGgo=\n" }), "data:image/png;base64,iVBORw0KGgo=");
    assert.equal(imageSrc({ url: "https://example.com/a.png" }), "https://example.com/a.png");
    assert.equal(imageSrc({ mime: "image/svg+xml", data: "PHN2Zy8+" }), null);
    assert.equal(imageSrc({ mime: "image/png", data: "javascript:window.__pwned=1" }), null);
    assert.equal(imageSrc({ mime: "text/html", data: "PHNjcmlwdD4=" }), null);
    assert.equal(imageSrc({ url: "javascript:alert(1)" }), null);
    assert.equal(imageSrc({ url: "data:image/png;base64,AA==" }), null);
  });
});
