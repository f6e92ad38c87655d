"""The project's reference pages (Markdown under docs/) as HTML safe to serve.

Markdown is rendered by markdown-it-py with raw HTML off, then cleaned by nh3 (Ammonia): the
page can carry no script, event handler or unsafe link whatever the file holds.
"""
import functools
from pathlib import Path

import nh3
from markdown_it import MarkdownIt

DOCS = Path(__file__).resolve().parent.parent / "docs"


@functools.cache
def _markdown() -> MarkdownIt:
    return MarkdownIt("commonmark", {"html": False, "linkify": False}).enable("table").enable("strikethrough")


@functools.lru_cache(maxsize=16)
def render(body: str) -> str:
    """The Markdown `body` as sanitised HTML."""
    return nh3.clean(_markdown().render(body), url_schemes={"http", "https", "mailto"},
                     link_rel="noopener noreferrer nofollow")


def page(name: str) -> str | None:
    """The reference page docs/`name`.md as sanitised HTML, or None when it is not installed."""
    path = DOCS / f"{name}.md"
    try:
        return render(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None
