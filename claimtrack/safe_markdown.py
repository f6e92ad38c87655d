"""Markdown written by people (guidelines) or shipped with the project (reference pages) as HTML safe to serve.

Rendered by markdown-it-py with raw HTML off, then cleaned by nh3 (Ammonia): the result can carry no
script, event handler or unsafe link whatever the text holds.
"""
import functools

import nh3
from markdown_it import MarkdownIt


@functools.cache
def _markdown() -> MarkdownIt:
    return MarkdownIt("commonmark", {"html": False, "linkify": False}).enable("table").enable("strikethrough")


@functools.lru_cache(maxsize=64)
def render(body: str) -> str:
    """The Markdown `body` as sanitised HTML, safe to put in a page as it is."""
    return nh3.clean(_markdown().render(body), url_schemes={"http", "https", "mailto"},
                     link_rel="noopener noreferrer nofollow")
