import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { KATEX_OPTIONS, MarkdownView, renderMarkdown } from "../src/markdown.js";
import { LANGUAGE_NAMES } from "../src/highlight.js";
import { unsafeParts } from "./helpers.js";

const MATHML = "http://www.w3.org/1998/Math/MathML";
/** @param {string} text */
const md = (text) => {
  const root = renderMarkdown(text);
  assert.deepEqual(unsafeParts(root), [], text);
  return root;
};

describe("CommonMark and GFM", () => {
  test("tables, with alignment, in a box that scrolls sideways", () => {
    const root = md("| Name | Score |\n|:-----|------:|\n| Ann | **9** |\n| Bo | 7 |");
    const table = root.querySelector(".rig-table > table");
    assert.ok(table, root.innerHTML);
    assert.deepEqual([...table.querySelectorAll("th")].map((th) => th.textContent), ["Name", "Score"]);
    assert.deepEqual([...table.querySelectorAll("tbody tr")].map((tr) => tr.textContent?.replace(/\s+/g, "")), ["Ann9", "Bo7"]);
    assert.equal(table.querySelector("th:last-child")?.getAttribute("align"), "right");
    assert.equal(table.querySelector("tbody strong")?.textContent, "9");
  });

  test("task lists: checked and unchecked boxes that cannot be clicked", () => {
    const root = md("- [x] done\n- [ ] todo\n- plain");
    const boxes = [...root.querySelectorAll("li input")];
    assert.equal(boxes.length, 2);
    assert.deepEqual(boxes.map((b) => [b.getAttribute("type"), b.hasAttribute("checked"), b.hasAttribute("disabled")]), [
      ["checkbox", true, true],
      ["checkbox", false, true],
    ]);
    assert.deepEqual([...root.querySelectorAll("li")].map((li) => li.textContent?.trim()), ["done", "todo", "plain"]);
  });

  test("nested lists keep their nesting and kinds", () => {
    const root = md("1. one\n   - a\n   - b\n     1. deep\n2. two\n\nbetween\n\n5. five\n6. six");
    const outer = root.querySelector("ol");
    assert.ok(outer);
    assert.equal(outer.children.length, 2);
    const inner = outer.querySelector(":scope > li > ul");
    assert.deepEqual([...(inner?.children ?? [])].map((li) => li.firstChild?.textContent?.trim()), ["a", "b"]);
    assert.equal(inner?.querySelector("ol > li")?.textContent, "deep");
    assert.equal(root.querySelectorAll("ol")[2]?.getAttribute("start"), "5");
  });

  test("strikethrough, emphasis, inline code, headings, quotes, rules, line breaks", () => {
    const root = md("# Title\n\n~~gone~~ *em* **strong** `x < y`\n\n> quoted\n\n---\nline one\nline two");
    assert.equal(root.querySelector("h1")?.textContent, "Title");
    assert.equal(root.querySelector("del")?.textContent, "gone");
    assert.equal(root.querySelector("em")?.textContent, "em");
    assert.equal(root.querySelector("strong")?.textContent, "strong");
    assert.equal(root.querySelector("p code")?.textContent, "x < y");
    assert.equal(root.querySelector("blockquote")?.textContent?.trim(), "quoted");
    assert.ok(root.querySelector("hr"));
    assert.ok(root.querySelector("p br"), "a newline inside a paragraph is a line break, as in chat UIs");
  });

  test("autolinks: bare URLs, www., <…> and emails become safe links that open in a new tab", () => {
    const root = md("see https://example.com/a?b=1, www.example.org and <https://x.test/> or me@example.com");
    const links = [...root.querySelectorAll("a")];
    assert.deepEqual(links.map((a) => a.getAttribute("href")), [
      "https://example.com/a?b=1", "http://www.example.org", "https://x.test/", "mailto:me@example.com",
    ]);
    for (const a of links) {
      assert.equal(a.getAttribute("target"), "_blank");
      assert.equal(a.getAttribute("rel"), "noopener noreferrer nofollow");
    }
  });

  test("links keep only http(s) and mailto; other schemes and relative URLs become plain text", () => {
    const root = md("[a](https://ok.test) [b](mailto:x@y.z) [c](javascript:alert(1)) [d](data:text/html,x) [e](relative/path) [f](ftp://x) [g](tel:1)");
    assert.deepEqual([...root.querySelectorAll("a")].map((a) => a.textContent), ["a", "b"]);
    assert.match(root.textContent ?? "", /c d e f g/);
  });

  test("markdown images become links, never <img>: a model cannot make the browser fetch", () => {
    const root = md("![chart](https://example.com/c.png) ![x](javascript:alert(1))");
    assert.equal(root.querySelectorAll("img").length, 0);
    assert.equal(root.querySelector("a")?.textContent, "[image: chart]");
    assert.equal(root.querySelector("a")?.getAttribute("href"), "https://example.com/c.png");
    assert.match(root.textContent ?? "", /\[image: x\]/);
  });

  test("raw HTML is shown as the text it is, inline and as a block", () => {
    const root = md('<b onclick="x()">bold?</b> and\n\n<div class="rig-approve">\nblock\n</div>');
    assert.equal(root.querySelector("b, div.rig-approve"), null);
    assert.match(root.textContent ?? "", /<b onclick="x\(\)">bold\?<\/b> and/);
    assert.match(root.textContent ?? "", /<div class="rig-approve">\nblock\n<\/div>/);
  });
});

describe("code fences", () => {
  test("highlighted, with the fence's language as a label and a copy button", () => {
    const root = md("```python\ndef f(x):\n    return x  # twice\n```");
    const box = root.querySelector(".rig-codeblock");
    assert.ok(box);
    assert.equal(box.querySelector(".rig-code-lang")?.textContent, "python");
    assert.equal(box.querySelector("button.rig-copy-code")?.textContent, "Copy");
    const code = box.querySelector("pre.rig-code > code");
    assert.equal(code?.textContent, "def f(x):\n    return x  # twice");
    assert.ok(code?.querySelector(".hljs-keyword"), code?.innerHTML);
    assert.ok(code?.querySelector(".hljs-comment"));
  });

  test("aliases highlight; an unknown language keeps its label and plain text; no language says 'code'", () => {
    const js = md("```js\nconst a = 1;\n```");
    assert.equal(js.querySelector(".rig-code-lang")?.textContent, "js");
    assert.ok(js.querySelector(".hljs-keyword"));
    const cobol = md("```cobol\nDISPLAY 'HI'.\n```");
    assert.equal(cobol.querySelector(".rig-code-lang")?.textContent, "cobol");
    assert.equal(cobol.querySelector("code span"), null);
    assert.equal(cobol.querySelector("code")?.textContent, "DISPLAY 'HI'.");
    const none = md("```\n<b>x</b>\n```");
    assert.equal(none.querySelector(".rig-code-lang")?.textContent, "code");
    assert.equal(none.querySelector("code")?.textContent, "<b>x</b>");
  });

  test("every bundled language highlights something", () => {
    const samples = /** @type {Record<string, string>} */ ({
      bash: "if [ -f x ]; then echo hi; fi", c: "int main(void) { return 0; }", cpp: "class A { public: int x; };",
      css: "a { color: red; }", diff: "+added\n-removed", go: "func main() { return }", ini: "[s]\nkey = 1",
      java: "public class A { }", javascript: "const a = 1;", json: '{"a": 1}', markdown: "# Title",
      plaintext: "", python: "def f(): pass", "python-repl": ">>> 1 + 1", r: "f <- function(x) x", rust: "fn main() { let x = 1; }",
      shell: "$ ls -la", sql: "SELECT * FROM t WHERE a = 1", typescript: "let a: number = 1;", xml: "<a href='x'>y</a>",
      yaml: "a: 1\nb: [x]",
    });
    assert.deepEqual(Object.keys(samples).sort(), [...LANGUAGE_NAMES].sort());
    for (const [lang, code] of Object.entries(samples)) {
      const root = md(`\`\`\`${lang}\n${code}\n\`\`\``);
      assert.equal(root.querySelector("code")?.textContent, code, lang);
      if (lang !== "plaintext") assert.ok(root.querySelector("code span[class^='hljs-']"), lang);
    }
  });

  test("a fence whose language is an attack keeps no class and no attribute from it", () => {
    const root = md('```"><img src=x onerror=alert(1)>\nx\n```');
    assert.equal(root.querySelector("code")?.textContent, "x");
    assert.equal(root.querySelectorAll("img").length, 0);
  });
});

describe("math (KaTeX, MathML output)", () => {
  test("inline $…$ is MathML inside the paragraph", () => {
    const root = md("Euler: $e^{i\\pi} + 1 = 0$, done.");
    const math = root.querySelector("p math");
    assert.ok(math, root.innerHTML);
    assert.equal(math.namespaceURI, MATHML);
    assert.notEqual(math.getAttribute("display"), "block");
    assert.ok(math.querySelector("msup"));
    // The TeX source rides along in <annotation> (not displayed; copied with a selection).
    assert.equal(math.querySelector("annotation")?.textContent, "e^{i\\pi} + 1 = 0");
    assert.equal(math.querySelector("annotation")?.getAttribute("encoding"), "application/x-tex");
  });

  test("display $$…$$, as a block or inline, is block math in a box that scrolls sideways", () => {
    for (const text of ["$$\n\\int_0^1 x^2\\,dx = \\frac{1}{3}\n$$", "$$\\sum_{i=1}^n i$$"]) {
      const root = md(text);
      const math = root.querySelector(".rig-math math");
      assert.ok(math, text);
      assert.equal(math.getAttribute("display"), "block", text);
    }
    assert.ok(md("$$\n\\frac{a}{b}\n$$").querySelector("mfrac"));
  });

  test("dollars that are not math stay text", () => {
    const root = md("It costs $5 and $10 today.");
    assert.equal(root.querySelector("math"), null);
    assert.equal(root.textContent?.trim(), "It costs $5 and $10 today.");
  });

  test("a formula KaTeX cannot parse shows its source as an error, not a crash", () => {
    const root = md("before $\\frac{1}{$ after");
    assert.match(root.textContent ?? "", /before .*after/);
    const broken = md("$$\n\\begin{matrix}\n$$");
    assert.ok(broken.querySelector(".katex-error"), broken.innerHTML);
  });

  test("trust is off and the costs are bounded", () => {
    assert.equal(KATEX_OPTIONS.trust, false);
    assert.equal(KATEX_OPTIONS.output, "mathml");
    assert.ok(KATEX_OPTIONS.maxExpand <= 1000 && KATEX_OPTIONS.maxSize <= 100);
    const started = performance.now();
    md("$\\def\\loop{\\loop}\\loop$ $\\rule{100000em}{100000em}$");
    assert.ok(performance.now() - started < 2000);
  });
});

describe("incremental rendering while an answer streams", () => {
  test("only the blocks whose source changed are rendered again; earlier nodes stay", () => {
    const view = new MarkdownView();
    view.update("# Head\n\nFirst paragraph.\n\nSecond par");
    const head = view.root.querySelector("h1");
    const first = [...view.root.querySelectorAll("p")][0];
    view.update("# Head\n\nFirst paragraph.\n\nSecond paragraph, longer");
    assert.equal(view.rendered, 1);
    assert.equal(view.root.querySelector("h1"), head);
    assert.equal([...view.root.querySelectorAll("p")][0], first);
    assert.equal([...view.root.querySelectorAll("p")][1]?.textContent, "Second paragraph, longer");
  });

  test("a growing text renders the same as the whole text at once, at every cut", () => {
    const text = "Intro $x^2$ text\n\n| a | b |\n|---|---|\n| 1 | 2 |\n\n```py\nprint(1)\n```\n\n- [x] a\n  - b\n\n[r]: https://example.com\n\nSee [ref][r].";
    const view = new MarkdownView();
    const strip = (/** @type {Element} */ el) => el.innerHTML.replace(/<div class="rig-md-block">|<\/div>/g, "");
    for (let cut = 1; cut <= text.length; cut += 3) {
      view.update(text.slice(0, cut));
      assert.equal(strip(view.root), strip(renderMarkdown(text.slice(0, cut))), `cut at ${cut}`);
    }
    view.update(text);
    assert.equal(view.root.querySelector("a[href='https://example.com']")?.textContent, "ref");
  });

  test("a shorter text (a new run) removes what is gone", () => {
    const view = new MarkdownView();
    view.update("a\n\nb\n\nc");
    view.update("a");
    assert.equal(view.root.textContent?.trim(), "a");
    assert.equal(view.root.children.length, 1);
  });
});
