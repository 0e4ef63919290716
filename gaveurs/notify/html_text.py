"""The plain-text alternative of an HTML e-mail, for mail clients and people that read text only."""

from __future__ import annotations

import re
from html.parser import HTMLParser

# Blocks stand apart (a blank line around them); rows, line breaks and list items just start a line.
_BLOCKS = {"p", "div", "table", "ul", "ol", "h1", "h2", "h3", "h4", "h5", "h6", "hr", "section", "blockquote"}
_LINES = {"tr", "br"}
_SKIPPED = {"script", "style", "head", "title"}


class _Text(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.skipping = 0
        self.links: list[str | None] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _SKIPPED:
            self.skipping += 1
        elif tag in _BLOCKS:
            self.parts.append("\n\n")
        elif tag in _LINES:
            self.parts.append("\n")
        elif tag == "li":
            self.parts.append("\n- ")
        elif tag in ("td", "th"):
            self.parts.append(" ")
        elif tag == "a":
            self.links.append(dict(attrs).get("href"))

    def handle_endtag(self, tag: str) -> None:
        if tag in _SKIPPED:
            self.skipping = max(0, self.skipping - 1)
        elif tag in _BLOCKS:
            self.parts.append("\n\n")
        elif tag in ("td", "th"):
            self.parts.append(" |")
        elif tag == "a" and self.links:
            href = self.links.pop()
            if href and not href.startswith(("#", "mailto:")):
                self.parts.append(f" ({href})")

    def handle_data(self, data: str) -> None:
        if not self.skipping:
            # ASCII whitespace only: no-break and narrow spaces (`1\u202f043 g`) are meant to stay.
            self.parts.append(re.sub(r"[ \t\r\n\f]+", " ", data))


def html_to_text(html: str) -> str:
    """Paragraphs and rows on their own lines, list items as `- …`, cells split by `|`, links kept."""
    parser = _Text()
    parser.feed(html)
    parser.close()
    lines = (line.strip().removesuffix("|").strip() for line in "".join(parser.parts).splitlines())
    text = "\n".join(lines)
    return re.sub(r"\n{3,}", "\n\n", text).strip() + "\n"
