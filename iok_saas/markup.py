"""Markdown written by staff or operators, rendered to HTML that is safe to show."""

from __future__ import annotations

import re

import nh3
from markdown_it import MarkdownIt
from markupsafe import Markup, escape

_MARKDOWN = MarkdownIt("commonmark", {"html": False, "linkify": False}).enable("table")
_ALLOWED_TAGS = {
    "p", "br", "h1", "h2", "h3", "h4", "h5", "h6", "ul", "ol", "li", "strong", "em", "a",
    "blockquote", "code", "pre", "hr", "table", "thead", "tbody", "tr", "th", "td",
}


def markdown_to_html(text: str) -> Markup:
    html = _MARKDOWN.render(text or "")
    clean = nh3.clean(html, tags=_ALLOWED_TAGS, attributes={"a": {"href", "title"}},
                      url_schemes={"http", "https", "mailto", "tel"},
                      link_rel="noopener noreferrer nofollow")
    return Markup(clean)  # noqa: S704 (sanitised by nh3 just above)


_URL = re.compile(r"https?://[^\s<>\"]+")


def plain_text_to_html(text: str) -> Markup:
    """Paragraphs and clickable links for the HTML part of an e-mail (text is escaped)."""
    paragraphs = []
    for block in (text or "").strip().split("\n\n"):
        escaped = str(escape(block))
        linked = _URL.sub(lambda m: f'<a href="{m.group(0)}">{m.group(0)}</a>', escaped)
        paragraphs.append("<p>" + linked.replace("\n", "<br>\n") + "</p>")
    return Markup("\n".join(paragraphs))  # noqa: S704 (built from escaped text)
