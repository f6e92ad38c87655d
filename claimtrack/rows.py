"""What every file import reports of a row it refuses: claims (`importing`) and reference figures (`references`)."""
import csv
import io
from collections.abc import Callable, Iterator
from dataclasses import dataclass


class RowProblem(ValueError):
    """A row that cannot be imported; str() says why."""


@dataclass(frozen=True)
class RowError:
    """One row refused: its line in the file (its first line, for a CSV record over several) and why."""

    line: int
    reason: str


def csv_records(text: str, header_problem: Callable[[list[str]], str], *, lower: bool = False,
                empty: str = "") -> Iterator[tuple[int, dict[str, str] | RowError]]:
    """(line, {column: cell}) for each record of a CSV with a header row, or (line, RowError).

    Column names are stripped (and lower-cased with `lower`); `header_problem` says what is wrong
    with them ("" when nothing), which refuses the whole file at line 1. Blank records are
    skipped; a record with the wrong number of cells, or text that is not CSV, is a RowError.
    An empty file yields nothing, or the `empty` reason at line 1.
    """
    reader = csv.reader(io.StringIO(text.removeprefix("\ufeff"), newline=""))
    try:
        header = next(reader, None)
        if header is None:
            if empty:
                yield 1, RowError(1, empty)
            return
        names = [name.strip().lower() if lower else name.strip() for name in header]
        if reason := header_problem(names):
            yield 1, RowError(1, reason)
            return
        while True:
            line = reader.line_num + 1
            record = next(reader, None)
            if record is None:
                return
            if not any(cell.strip() for cell in record):
                continue
            if len(record) != len(names):
                yield line, RowError(line, f"{len(record)} cells for {len(names)} columns")
                continue
            yield line, dict(zip(names, record, strict=True))
    except csv.Error as exc:
        yield reader.line_num, RowError(reader.line_num, f"not CSV: {exc}")
