"""Reading documents from files: decoding, conversion to text, refusal of bad input.

A document is refused with a one-line reason (`DocumentError`) when it is binary,
undecodable, empty, too large or of an unsupported type. Nothing here touches a database.
"""
import hashlib
import io
import json
import os
import re
from dataclasses import dataclass, field, replace
from datetime import date
from pathlib import Path

DEFAULT_MAX_BYTES = 5 * 1024 * 1024
DEFAULT_MAX_LINE = 100_000
TEXT_SUFFIXES = {".txt": "text/plain", ".text": "text/plain", ".md": "text/markdown", ".markdown": "text/markdown"}
HTML_SUFFIXES = {".html": "text/html", ".htm": "text/html"}
PDF_SUFFIXES = {".pdf": "application/pdf"}
ACCEPTED_SUFFIXES = {**TEXT_SUFFIXES, **HTML_SUFFIXES, **PDF_SUFFIXES}
METADATA_FILE = "metadata.json"
SEEDS_DIR = Path(__file__).resolve().parent.parent / "seeds"

# C0 controls other than tab, newline, vertical tab, form feed and carriage return.
_CONTROL = re.compile(r"[\x00-\x08\x0e-\x1f\x7f]")
_DATELINE = re.compile(r"\b(?:Updated|Published|Date|Posted)\s*:?\s*(\d{4}-\d{2}-\d{2})\b")
_HTML_BLOCKS = (
    "p", "div", "br", "li", "h1", "h2", "h3", "h4", "h5", "h6", "tr", "section", "article",
    "header", "footer", "blockquote", "pre", "table", "ul", "ol", "dd", "dt", "figcaption",
)


class DocumentError(ValueError):
    """A file that cannot become a document; str() is a one-line reason for the user."""


@dataclass(frozen=True)
class Metadata:
    """What is known about a document besides its text."""

    title: str = ""
    author: str = ""
    publisher: str = ""
    published: date | None = None
    source_note: str = ""


@dataclass(frozen=True)
class DocumentSource:
    """A decoded document ready to be stored: exact text plus provenance."""

    text: str
    file_name: str
    source: str
    media_type: str
    metadata: Metadata = field(default_factory=Metadata)

    @property
    def sha256(self) -> str:
        """SHA-256 of the UTF-8 text: the document's identity."""
        return hashlib.sha256(self.text.encode("utf-8")).hexdigest()

    @property
    def title(self) -> str:
        """The metadata title, else the first non-blank line, else the file name."""
        if self.metadata.title:
            return self.metadata.title
        for line in self.text.splitlines():
            if line.strip():
                return line.strip()[:200]
        return self.file_name


def limits() -> tuple[int, int]:
    """The size limits in force: (bytes per file, characters per line), from the environment."""
    return (
        int(os.environ.get("CLAIMTRACK_MAX_DOCUMENT_BYTES", DEFAULT_MAX_BYTES)),
        int(os.environ.get("CLAIMTRACK_MAX_LINE_CHARS", DEFAULT_MAX_LINE)),
    )


def decode_text(data: bytes) -> str:
    """Decode UTF-8 (BOM allowed) or UTF-16 with a BOM; refuse anything else."""
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    elif data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return data.decode("utf-16")
        except UnicodeDecodeError as exc:
            raise DocumentError(f"invalid UTF-16 at byte {exc.start}") from None
    elif b"\x00" in data:
        raise DocumentError(
            "binary file (contains NUL bytes; UTF-16 text needs a byte-order mark)"
        )
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise DocumentError(
            f"not valid UTF-8: byte 0x{data[exc.start]:02x} at offset {exc.start}"
        ) from None


def check_text(text: str, max_line: int | None = None) -> str:
    """Refuse text that is empty, binary-looking or has absurdly long lines; return it unchanged."""
    if not text.strip():
        raise DocumentError("no text: the file is empty or whitespace only")
    if match := _CONTROL.search(text):
        raise DocumentError(
            f"binary content: control character U+{ord(match.group()):04X} at character {match.start()}"
        )
    max_line = max_line or limits()[1]
    for number, line in enumerate(text.split("\n"), start=1):
        if len(line) > max_line:
            raise DocumentError(
                f"line {number} is {len(line):,} characters long, over the limit of {max_line:,}"
            )
    return text


def html_to_text(html: str) -> tuple[str, str]:
    """Return (text, title) of an HTML page: scripts and styles dropped, blocks on their own lines."""
    from selectolax.lexbor import LexborHTMLParser

    tree = LexborHTMLParser(html)
    title_node = tree.css_first("title")
    title = title_node.text(strip=True) if title_node else ""
    for node in tree.css("script, style, noscript, template, head"):
        node.decompose()
    for tag in _HTML_BLOCKS:
        for node in tree.css(tag):
            node.insert_after("\n")
    root = tree.body or tree.root
    raw = root.text(deep=True, separator="", strip=False) if root else ""
    lines = [" ".join(line.split()) for line in raw.splitlines()]
    text = re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()
    return text, title


def pdf_to_text(data: bytes) -> str:
    """Return the text of a PDF, refusing encrypted, broken or image-only files."""
    from pypdf import PdfReader
    from pypdf.errors import PdfReadError

    try:
        reader = PdfReader(io.BytesIO(data))
        if reader.is_encrypted and not reader.decrypt(""):
            raise DocumentError("encrypted PDF: remove the password and ingest it again")
        pages = [page.extract_text() or "" for page in reader.pages]
    except DocumentError:
        raise
    except (PdfReadError, ValueError, KeyError, TypeError, OSError) as exc:
        raise DocumentError(f"broken PDF: {str(exc).splitlines()[0] if str(exc) else type(exc).__name__}") from None
    except Exception as exc:  # pypdf raises many types on malformed input; none may escape as a crash
        raise DocumentError(f"broken PDF: {type(exc).__name__}") from None
    text = "\n\n".join(p.strip("\n") for p in pages)
    if not text.strip():
        raise DocumentError("PDF has no extractable text (scanned images need OCR first)")
    return text


def guess_published(text: str) -> date | None:
    """A publication date from a dateline near the top ("Updated: 2024-01-05"), if there is one."""
    if match := _DATELINE.search(text[:3000]):
        try:
            return date.fromisoformat(match.group(1))
        except ValueError:
            return None
    return None


def load_metadata(directory: Path) -> dict[str, Metadata]:
    """Read `metadata.json` in `directory` (a list of {file, title, author, ...}), if present."""
    path = directory / METADATA_FILE
    if not path.is_file():
        return {}
    try:
        entries = json.loads(path.read_text(encoding="utf-8"))
        return {
            entry["file"]: Metadata(
                title=entry.get("title", ""),
                author=entry.get("author", ""),
                publisher=entry.get("publisher", ""),
                published=date.fromisoformat(entry["published"]) if entry.get("published") else None,
                source_note=entry.get("source_note", ""),
            )
            for entry in entries
        }
    except (ValueError, KeyError, TypeError) as exc:
        raise DocumentError(f"{path}: bad metadata file ({exc})") from None


def metadata_for(path: Path) -> Metadata | None:
    """Metadata for a file from the metadata.json beside it, else from the bundled seeds' list."""
    for directory in (path.parent, SEEDS_DIR):
        if found := load_metadata(directory).get(path.name):
            return found
    return None


def decode_document(data: bytes, file_name: str, source: str = "") -> DocumentSource:
    """Turn a file's bytes into a checked DocumentSource, or raise DocumentError."""
    max_bytes, max_line = limits()
    suffix = Path(file_name).suffix.lower()
    if suffix not in ACCEPTED_SUFFIXES:
        accepted = ", ".join(sorted(ACCEPTED_SUFFIXES))
        raise DocumentError(f"unsupported file type {suffix or '(none)'!r} (accepted: {accepted})")
    if not data:
        raise DocumentError("empty file")
    if len(data) > max_bytes:
        raise DocumentError(f"file is {len(data):,} bytes, over the limit of {max_bytes:,} bytes")
    title = ""
    if suffix in PDF_SUFFIXES:
        text = pdf_to_text(data)
    elif suffix in HTML_SUFFIXES:
        text, title = html_to_text(check_text(decode_text(data), max_line))
    else:
        text = decode_text(data)
    check_text(text, max_line)
    metadata = Metadata(title=title, published=guess_published(text))
    return DocumentSource(
        text=text,
        file_name=file_name,
        source=source or file_name,
        media_type=ACCEPTED_SUFFIXES[suffix],
        metadata=metadata,
    )


def read_document(path: Path, published: date | None = None) -> DocumentSource:
    """Read one file into a DocumentSource with its metadata, or raise DocumentError."""
    path = Path(path)
    if not path.is_file():
        raise DocumentError("not a file")
    max_bytes, _ = limits()
    size = path.stat().st_size
    if size > max_bytes:
        raise DocumentError(f"file is {size:,} bytes, over the limit of {max_bytes:,} bytes")
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise DocumentError(f"cannot read: {exc.strerror}") from None
    document = decode_document(data, path.name, str(path))
    known = metadata_for(path)
    metadata = known or document.metadata
    if known and not known.title and document.metadata.title:
        metadata = replace(known, title=document.metadata.title)
    if published is not None:
        metadata = replace(metadata, published=published)
    elif metadata.published is None:
        metadata = replace(metadata, published=document.metadata.published)
    return replace(document, metadata=metadata)


def find_documents(paths: list[Path]) -> list[Path]:
    """Expand folders to the accepted files inside them (sorted); files are kept as given."""
    found: list[Path] = []
    for path in map(Path, paths):
        if path.is_dir():
            found.extend(
                sorted(p for p in path.rglob("*") if p.is_file() and p.suffix.lower() in ACCEPTED_SUFFIXES)
            )
        else:
            found.append(path)
    return found
