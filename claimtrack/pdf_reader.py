"""Reads one PDF's text within limits: `python -m claimtrack.pdf_reader MAX_INFLATED MAX_TEXT SECONDS`.

The PDF comes on stdin; one JSON object goes to stdout, `{"text": ...}` or `{"refused": reason}`.
`claimtrack.sources.pdf_to_text` runs this in a child process so that a PDF which keeps pypdf
busy can be killed, which no thread can be; the child also stops itself at the time limit or
when the process that started it is gone, so it never outlives an interrupted ingest.
"""
import io
import json
import os
import resource
import sys
import threading
import time

# Address space for the child: far above what a PDF within the size limits needs, a stop for one that is not.
MEMORY_LIMIT = 1 << 30
WATCH_INTERVAL = 0.2


class Refused(Exception):
    """A PDF that cannot become a document; str() is the one-line reason."""


def _stop_when_orphaned_or_late(seconds: float) -> None:
    """Exit when the parent process goes away or the time limit has passed, whatever pypdf is doing."""
    parent, deadline = os.getppid(), time.monotonic() + seconds

    def watch():
        while os.getppid() == parent and time.monotonic() < deadline:
            time.sleep(WATCH_INTERVAL)
        os._exit(3)

    threading.Thread(target=watch, daemon=True).start()


def extract(data: bytes, max_inflated: int, max_text: int) -> str:
    """The text of the PDF's pages, refusing it as soon as a limit is passed."""
    from pypdf import PdfReader, apply_configuration
    from pypdf.errors import LimitReachedError

    over_inflated = f"PDF pages inflate to over {max_inflated:,} bytes (CLAIMTRACK_MAX_PDF_INFLATED_BYTES)"
    limits = {name: max_inflated for name in (
        "zlib_maximum_output_length", "lzw_maximum_output_length", "run_length_maximum_output_length",
        "brotli_maximum_output_length", "array_based_stream_maximum_output_length")}
    pages, inflated, size = [], 0, 0
    try:
        with apply_configuration(**limits):
            reader = PdfReader(io.BytesIO(data))
            if reader.is_encrypted and not reader.decrypt(""):
                raise Refused("encrypted PDF: remove the password and ingest it again")
            for page in reader.pages:
                contents = page.get_contents()
                inflated += len(contents.get_data()) if contents is not None else 0
                if inflated > max_inflated:
                    raise Refused(over_inflated)
                text = (page.extract_text() or "").strip("\n")
                size += len(text.encode("utf-8", "surrogatepass")) + 2
                if size > max_text:
                    raise Refused(f"PDF text is over the limit of {max_text:,} bytes")
                pages.append(text)
    except LimitReachedError:
        raise Refused(over_inflated) from None
    return "\n\n".join(pages)


def main() -> None:
    """Read the PDF on stdin and answer on stdout."""
    max_inflated, max_text, seconds = int(sys.argv[1]), int(sys.argv[2]), float(sys.argv[3])
    # A second past the parent's own time limit: normally the parent kills it first and says why.
    _stop_when_orphaned_or_late(seconds + 1)
    _soft, hard = resource.getrlimit(resource.RLIMIT_AS)
    memory = MEMORY_LIMIT if hard == resource.RLIM_INFINITY else min(MEMORY_LIMIT, hard)
    resource.setrlimit(resource.RLIMIT_AS, (memory, hard))
    data = sys.stdin.buffer.read()
    try:
        answer = {"text": extract(data, max_inflated, max_text)}
    except Refused as exc:
        answer = {"refused": str(exc)}
    except MemoryError:
        answer = {"refused": "PDF needs too much memory to read"}
    except Exception as exc:  # pypdf raises many types on malformed input; each is a refusal, not a crash
        reason = str(exc).splitlines()[0] if str(exc).strip() else type(exc).__name__
        answer = {"refused": f"broken PDF: {reason}"}
    sys.stdout.write(json.dumps(answer))


if __name__ == "__main__":
    main()
