"""The project's reference pages (Markdown under docs/) as HTML safe to serve (see safe_markdown)."""
from pathlib import Path

from .safe_markdown import render

DOCS = Path(__file__).resolve().parent.parent / "docs"


def page(name: str) -> str | None:
    """The reference page docs/`name`.md as sanitised HTML, or None when it is not installed."""
    path = DOCS / f"{name}.md"
    try:
        return render(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None
