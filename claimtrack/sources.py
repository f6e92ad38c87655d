"""Reading documents from files: decoding, conversion to text, refusal of bad input.

A document is refused with a one-line reason (`DocumentError`) when it is binary,
undecodable, empty, too large or of an unsupported type. Nothing here touches a database.
"""
import errno
import hashlib
import json
import os
import re
import subprocess
import sys
import unicodedata
from dataclasses import dataclass, field, replace
from datetime import date
from pathlib import Path

DEFAULT_MAX_BYTES = 5 * 1024 * 1024
DEFAULT_MAX_LINE = 100_000
DEFAULT_MAX_PDF_SECONDS = 20
DEFAULT_MAX_PDF_INFLATED_BYTES = 10 * 1024 * 1024
TEXT_SUFFIXES = {".txt": "text/plain", ".text": "text/plain", ".md": "text/markdown", ".markdown": "text/markdown"}
HTML_SUFFIXES = {".html": "text/html", ".htm": "text/html"}
PDF_SUFFIXES = {".pdf": "application/pdf"}
ACCEPTED_SUFFIXES = {**TEXT_SUFFIXES, **HTML_SUFFIXES, **PDF_SUFFIXES}
METADATA_FILE = "metadata.json"
SEEDS_DIR = Path(__file__).resolve().parent.parent / "seeds"

# C0 controls other than tab, newline, vertical tab, form feed and carriage return; DEL; C1 controls.
_CONTROL = re.compile(r"[\x00-\x08\x0e-\x1f\x7f-\x9f]")
# Lines end with LF, CRLF or a lone CR (old Mac files); the text keeps whichever it has.
_LINE_BREAK = re.compile(r"\r\n|\r|\n")
# Characters dropped from an uploaded file's name: controls, and the bidirectional overrides
# that make "report\u202etxt.exe" look like another name.
_NAME_JUNK = re.compile(r"[\x00-\x1f\x7f-\x9f\u200e\u200f\u202a-\u202e\u2066-\u2069]")
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
    for number, line in enumerate(_LINE_BREAK.split(text), start=1):
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


def pdf_limits() -> tuple[float, int]:
    """The PDF limits in force: (seconds to read one, bytes its pages may inflate to), from the environment."""
    return (
        float(os.environ.get("CLAIMTRACK_MAX_PDF_SECONDS", DEFAULT_MAX_PDF_SECONDS)),
        int(os.environ.get("CLAIMTRACK_MAX_PDF_INFLATED_BYTES", DEFAULT_MAX_PDF_INFLATED_BYTES)),
    )


def pdf_to_text(data: bytes, max_text_bytes: int | None = None) -> str:
    """Return the text of a PDF, refusing encrypted, broken, image-only or over-limit files.

    pypdf runs in a child process (`claimtrack.pdf_reader`) that is killed at the time limit:
    parsing is pure Python that no thread can interrupt safely, and one hostile PDF can keep it
    busy for minutes. The child also stops as soon as the pages inflate past the size limit.
    """
    seconds, max_inflated = pdf_limits()
    max_text_bytes = max_text_bytes or limits()[0]
    if b"%PDF-" not in data[:1024]:
        raise DocumentError("broken PDF: no %PDF- header in the first 1024 bytes")
    try:
        done = subprocess.run(
            [sys.executable, "-m", "claimtrack.pdf_reader", str(max_inflated), str(max_text_bytes), str(seconds)],
            input=data, capture_output=True, timeout=seconds,
        )
    except subprocess.TimeoutExpired:
        raise DocumentError(
            f"PDF took longer than {seconds:g} s to read (CLAIMTRACK_MAX_PDF_SECONDS)"
        ) from None
    try:
        answer = json.loads(done.stdout)
    except ValueError:
        answer = {}
    if "refused" in answer:
        raise DocumentError(answer["refused"])
    if "text" not in answer:
        raise DocumentError(f"broken PDF: the reader stopped with exit status {done.returncode}")
    text = answer["text"]
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


# Longest stored file name.
MAX_NAME_CHARS = 255


def upload_name(name: str) -> str:
    """The name of an uploaded file as its owner knows it, in any script: the last path part, controls dropped.

    It is only ever stored and shown (escaped), never used as a path, so unlike werkzeug's
    `secure_filename` it keeps every letter; the type comes from its suffix.
    """
    name = re.split(r"[/\\]", unicodedata.normalize("NFC", _NAME_JUNK.sub("", name)))[-1].strip()
    if len(name) <= MAX_NAME_CHARS:
        return name
    # Cut the stem, not the suffix: the suffix says what type the file is.
    stem, dot, suffix = name.rpartition(".")
    if not dot or not stem or len(suffix) > 16:
        return name[:MAX_NAME_CHARS]
    return stem[:MAX_NAME_CHARS - len(suffix) - 1] + "." + suffix


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
        text = pdf_to_text(data, max_bytes)
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


def with_metadata(document: DocumentSource, *, title: str | None = "", author: str | None = "",
                  publisher: str | None = "", published: date | None = None) -> DocumentSource:
    """The document with what its uploader said about it; blank values keep what the file gave."""
    given = {"title": (title or "").strip(), "author": (author or "").strip(),
             "publisher": (publisher or "").strip(), "published": published}
    return replace(document, metadata=replace(document.metadata, **{k: v for k, v in given.items() if v}))


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
    document = decode_document(data, valid_text(path.name), valid_text(str(path)))
    return with_known_metadata(document, metadata_for(path), published)


def with_known_metadata(document: DocumentSource, known: Metadata | None, published: date | None = None) -> DocumentSource:
    """The document with its folder's metadata (`known`) over what the file gave; `published` overrides the date."""
    metadata = known or document.metadata
    if known and not known.title and document.metadata.title:
        metadata = replace(known, title=document.metadata.title)
    if published is not None:
        metadata = replace(metadata, published=published)
    elif metadata.published is None:
        metadata = replace(metadata, published=document.metadata.published)
    return replace(document, metadata=metadata)


@dataclass(frozen=True)
class FoundFile:
    """A file to ingest, named as the user gave or we found it, and why it may not be read ("" if it may)."""

    path: Path
    refusal: str = ""


def valid_text(name: str) -> str:
    """A file name or path as storable text: bytes that were not UTF-8 (surrogate escapes) become U+FFFD."""
    return name.encode("utf-8", "surrogateescape").decode("utf-8", "replace")


def find_documents(paths: list[Path], private: list[Path] = ()) -> list[FoundFile]:
    """Expand folders to the accepted files inside them (sorted); files are kept as given.

    Inside a folder a symbolic link is followed only while it stays inside that folder, and
    nothing under a `private` folder (the instance's database and secret key) is ever read:
    such files are listed with the reason they are refused.
    """
    private = [Path(folder).resolve() for folder in private]
    found: list[FoundFile] = []
    for path in map(Path, paths):
        if not path.is_dir():
            found.append(FoundFile(path, _private_refusal(path.resolve(), private)))
            continue
        folder = path.resolve()
        for entry in sorted(_folder_entries(path)):
            try:
                target = entry.resolve()
            except (RuntimeError, OSError) as exc:  # Python 3.11 raises RuntimeError for a loop, later ones OSError
                if isinstance(exc, RuntimeError) or exc.errno == errno.ELOOP:
                    found.append(FoundFile(entry, "symbolic link loop: not followed"))
                else:
                    found.append(FoundFile(entry, f"cannot be read: {exc.strerror}"))
                continue
            if not target.is_relative_to(folder):
                found.append(FoundFile(entry, f"symbolic link to {target}, outside the folder {path}: not followed"))
            elif entry.suffix.lower() in ACCEPTED_SUFFIXES:
                # A FIFO, device or dangling link is named with its reason, never waited on or skipped unsaid.
                found.append(FoundFile(entry, _private_refusal(target, private) or ("" if target.is_file() else "not a file")))
    return found


def _folder_entries(folder: Path) -> list[Path]:
    """Every file and symbolic link under `folder`, without entering linked folders."""
    entries = []
    for parent, folders, files in os.walk(folder):
        entries += [Path(parent, name) for name in files]
        entries += [Path(parent, name) for name in folders if Path(parent, name).is_symlink()]
    return entries


def _private_refusal(target: Path, private: list[Path]) -> str:
    """Why `target` may not be read, if it lies in a private folder."""
    for folder in private:
        if target.is_relative_to(folder):
            return f"in the instance folder {folder} (database, secret key): never ingested"
    return ""
