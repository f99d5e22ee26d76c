"""Re-emit a notebook's HTML output through an allowlist, so that a report never runs anything.

The views already escape every piece of data; this is the second wall. Only presentation tags
survive (headings, paragraphs, emphasis, tables, lists), with only ``class`` (plain tokens) and
``colspan``/``rowspan`` (digits) as attributes; ``script``, ``style``, ``iframe``, ``svg``... are
dropped with their content; any other tag (``a``, ``img``, ``font``...) is dropped and its text
kept. Text is re-escaped, tags are balanced (an output cannot close the report's own elements),
and very long text in a table cell is shortened (``MAX_CELL_CHARS``) and its long tokens get
``<wbr>`` break opportunities, so that tables stay readable.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass, field
from html.parser import HTMLParser

__all__ = ["sanitize_html", "Sanitized", "ALLOWED_TAGS", "MAX_CELL_CHARS"]

ALLOWED_TAGS = frozenset({"h3", "h4", "h5", "h6", "p", "b", "strong", "i", "em", "span", "div", "table", "thead",
                          "tbody", "tfoot", "tr", "th", "td", "caption", "br", "ul", "ol", "li", "small", "sup",
                          "sub", "code", "pre", "abbr", "blockquote", "hr"})
VOID_TAGS = frozenset({"br", "hr"})
DROP_WITH_CONTENT = frozenset({"script", "style", "iframe", "object", "embed", "template", "noscript", "svg", "math",
                               "textarea", "select", "title", "head", "frame", "frameset", "applet", "canvas",
                               "audio", "video", "form", "button", "option", "xmp", "noembed", "noframes",
                               "plaintext"})
MAX_CELL_CHARS = 300
LONG_TOKEN = 32  # a token this long in a table cell gets break opportunities...
WBR_EVERY = 16  # ...every this many characters
_TOKEN = re.compile(r"^[A-Za-z0-9_-]{1,40}$")
_DIGITS = re.compile(r"^[0-9]{1,3}$")


_LONG_TOKEN = re.compile(r"\S{%d,}" % (LONG_TOKEN,))


def _breakable(text: str) -> str:
    """Escaped text where a long unbroken token (a URL, a pasted query) may wrap: ``<wbr>`` every
    ``WBR_EVERY`` characters, so that a table column is not as wide as its longest token."""
    out, pos = [], 0
    for m in _LONG_TOKEN.finditer(text):
        out.append(html.escape(text[pos:m.start()], quote=False))
        token = m.group(0)
        out.append("<wbr>".join(html.escape(token[i:i + WBR_EVERY], quote=False)
                                for i in range(0, len(token), WBR_EVERY)))
        pos = m.end()
    out.append(html.escape(text[pos:], quote=False))
    return "".join(out)


@dataclass
class Sanitized:
    html: str
    headings: list[tuple[str, str]] = field(default_factory=list)  # (id, text) of each h3


class _Sanitizer(HTMLParser):
    def __init__(self, heading_id):
        super().__init__(convert_charrefs=True)
        self.out: list[str] = []
        self.stack: list[str] = []
        self.skip: list[str] = []  # open elements whose content is dropped
        self.heading_id = heading_id
        self.headings: list[tuple[str, str]] = []
        self._heading: list[str] | None = None
        self._cell_chars: int | None = None

    # -- tags
    def handle_starttag(self, tag, attrs):
        tag = tag.lower()
        if self.skip:
            if tag in DROP_WITH_CONTENT:
                self.skip.append(tag)
            return
        if tag in DROP_WITH_CONTENT:
            self.skip.append(tag)
            return
        if tag not in ALLOWED_TAGS:
            return
        kept = []
        for name, value in attrs:
            name, value = name.lower(), (value or "")
            if name == "class":
                tokens = [t for t in value.split() if _TOKEN.match(t)]
                if tokens:
                    kept.append(f'class="{" ".join(tokens)}"')
            elif name in ("colspan", "rowspan") and _DIGITS.match(value.strip()):
                kept.append(f'{name}="{value.strip()}"')
        if tag == "h3":
            hid = self.heading_id()
            kept.append(f'id="{html.escape(hid)}"')
            self._heading = [hid]
        if tag in ("td", "th"):
            self._cell_chars = 0
        self.out.append(f"<{tag}{' ' if kept else ''}{' '.join(kept)}>")
        if tag not in VOID_TAGS:
            self.stack.append(tag)

    def handle_startendtag(self, tag, attrs):
        self.handle_starttag(tag, attrs)
        if tag.lower() not in VOID_TAGS and self.stack and self.stack[-1] == tag.lower():
            self.handle_endtag(tag)

    def handle_endtag(self, tag):
        tag = tag.lower()
        if self.skip:
            if tag == self.skip[-1]:
                self.skip.pop()
            return
        if tag not in self.stack:
            return  # a stray end tag (or one of the report's own elements): ignored
        while self.stack:
            open_tag = self.stack.pop()
            self._close(open_tag)
            if open_tag == tag:
                break

    def _close(self, tag):
        self.out.append(f"</{tag}>")
        if tag == "h3" and self._heading is not None:
            hid, text = self._heading[0], "".join(self._heading[1:])
            self.headings.append((hid, " ".join(text.split())))
            self._heading = None
        if tag in ("td", "th"):
            self._cell_chars = None

    # -- text
    def handle_data(self, data):
        if self.skip or not data:
            return
        if self._cell_chars is not None:
            room = MAX_CELL_CHARS - self._cell_chars
            if room <= 0:
                return
            if len(data) > room:
                data = data[:room].rstrip() + "…"
                self._cell_chars = MAX_CELL_CHARS
            else:
                self._cell_chars += len(data)
        if self._heading is not None:
            self._heading.append(data)
        if self._cell_chars is not None:
            self.out.append(_breakable(data))
        else:
            self.out.append(html.escape(data, quote=False))

    def handle_comment(self, data):
        pass

    def handle_decl(self, decl):
        pass

    def handle_pi(self, data):
        pass

    def unknown_decl(self, data):
        pass

    def result(self) -> str:
        self.close()
        while self.stack:
            self._close(self.stack.pop())
        return "".join(self.out)


def sanitize_html(fragment: str, *, heading_id=None) -> Sanitized:
    """The allowlisted form of an HTML fragment; ``heading_id()`` names each ``h3`` (for the contents)."""
    counter = iter(range(1, 1_000_000))
    s = _Sanitizer(heading_id or (lambda: f"h-{next(counter)}"))
    s.feed(fragment)
    return Sanitized(s.result(), s.headings)
