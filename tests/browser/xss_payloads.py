"""XSS payloads: each one, if it ever ran, would set `window.__pwned`."""

P = "window.__pwned=1"

PAYLOADS = [
    # script tags
    f"<script>{P}</script>",
    f"<SCRIPT SRC=data:text/javascript,{P}></SCRIPT>",
    f"</script><script>{P}</script>",
    f"<scr<script>ipt>{P}</scr</script>ipt>",
    f"<svg><script>{P}</script></svg>",
    # event-handler attributes
    f"<img src=x onerror={P}>",
    f'<img src="x" onerror="{P}">',
    f"<IMG SRC=x OnErRoR={P}>",
    f"<body onload={P}>",
    f"<svg onload={P}>",
    f"<details open ontoggle={P}>",
    f"<input autofocus onfocus={P}>",
    f"<video><source onerror={P}></video>",
    f"<audio src=x onerror={P}>",
    f"<marquee onstart={P}>x</marquee>",
    f"<div onmouseover={P}>hover me</div>",
    f'"><img src=x onerror={P}>',
    f"'><svg/onload={P}>",
    f"<img srcset=x onerror={P}>",
    f"<math><mtext><table><mglyph><style><img src=x onerror={P}>",
    # javascript: URLs
    f'<a href="javascript:{P}">click</a>',
    f'<iframe src="javascript:{P}"></iframe>',
    f'<object data="javascript:{P}"></object>',
    f'<embed src="javascript:{P}">',
    f"<form><button formaction=javascript:{P}>go</button></form>",
    f'<base href="javascript:{P}//">',
    f'<meta http-equiv="refresh" content="0;url=javascript:{P}">',
    f'<svg><a xlink:href="javascript:{P}"><text x="0" y="20">x</text></a></svg>',
    f'<a href="&#106;avascript:{P}">entity link</a>',
    f'<div style="background:url(javascript:{P})">css</div>',
    # markdown link and image tricks
    f"[click me](javascript:{P})",
    f"[click me](JaVaScRiPt:{P})",
    "[data](data:text/html;base64,PHNjcmlwdD53aW5kb3cuX19wd25lZD0xPC9zY3JpcHQ+)",
    f"[vb](vbscript:{P})",
    f"![img](javascript:{P})",
    f'![img](x" onerror="{P})',
    f'[ok](https://example.com/" onmouseover="{P})',
    f'<https://example.com/" onclick="{P}>',
    # HTML entities and escapes
    f"&lt;script&gt;{P}&lt;/script&gt;",
    f"&#60;img src=x onerror={P}&#62;",
    "\\u003cscript\\u003ewindow.__pwned=1\\u003c/script\\u003e",
    # template and injection strings
    "{{constructor.constructor('window.__pwned=1')()}}",
    f"${{{P}}}",
    f"`<img src=x onerror={P}>`",
]

assert len(PAYLOADS) >= 40
