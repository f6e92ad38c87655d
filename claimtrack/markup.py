"""Markdown headings and emphasis in a document's stored text, found without moving any offset.

Documents keep their text exactly as ingested, markup and all, and claim spans are offsets into
it. To show `# Heading` and `**Strengthening Logistics**` as a heading and bold rather than raw,
the text is cut into runs, each with a style; the runs of text[start:end] join to exactly
text[start:end], so a page that wraps them in styled elements keeps every highlight on its span.
The markup characters themselves are a run of their own ("markup"), which pages hide.
"""
import re
from dataclasses import dataclass

STYLES = ("", "markup", "heading", "strong", "em")
_HEADING = re.compile(r"(#{1,6}[ \t]+)(.*?)([ \t]+#+)?[ \t]*$")
_EMPHASIS = re.compile(
    r"(\*\*|__)(?=\S)(.+?)(?<=\S)\1"                  # **strong** or __strong__
    r"|(?<![\w*])(\*)(?=[^\s*])([^*\n]+?)(?<=[^\s*])\*(?![\w*])"  # *emphasis*
    r"|(?<![\w_])(_)(?=[^\s_])([^_\n]+?)(?<=[^\s_])_(?![\w_])"    # _emphasis_
)


@dataclass(frozen=True)
class Run:
    """A piece of text and how it is shown: plain (""), markup (hidden), heading, strong or em."""

    text: str
    style: str = ""


def _line_styles(text: str, first: int, last: int) -> list[tuple[int, int, str]]:
    """Styled intervals (start, end, style) of the line text[first:last], in order; gaps are plain."""
    line = text[first:last]
    heading = _HEADING.match(line)
    if heading:
        out = [(first, first + heading.end(1), "markup"), (first + heading.start(2), first + heading.end(2), "heading")]
        if heading.group(3):
            out.append((first + heading.start(3), first + heading.end(3), "markup"))
        return out
    out = []
    for match in _EMPHASIS.finditer(line):
        group = next(g for g in (1, 3, 5) if match.group(g))
        style = "strong" if group == 1 else "em"
        marker = len(match.group(group))
        begin, end = first + match.start(), first + match.end()
        out += [(begin, begin + marker, "markup"), (begin + marker, end - marker, style), (end - marker, end, "markup")]
    return out


def _styles(text: str, start: int, end: int) -> list[tuple[int, int, str]]:
    """Styled intervals of every line that text[start:end] touches, in order."""
    out = []
    line_start = text.rfind("\n", 0, start) + 1
    while line_start < end:
        line_end = text.find("\n", line_start)
        line_end = len(text) if line_end < 0 else line_end
        out += _line_styles(text, line_start, line_end)
        line_start = line_end + 1
    return out


def pieces(text: str, bounds: list[int]) -> list[list[Run]]:
    """For each stretch text[bounds[i]:bounds[i+1]] (bounds ascending), its styled runs.

    The text is read once however many stretches there are (a document cut around its claims).
    """
    intervals = _styles(text, bounds[0], bounds[-1]) if len(bounds) > 1 else []
    out: list[list[Run]] = []
    k = 0
    for start, end in zip(bounds, bounds[1:]):
        stretch: list[Run] = []
        position = start
        while k < len(intervals) and intervals[k][1] <= start:
            k += 1
        j = k
        while j < len(intervals) and intervals[j][0] < end:
            begin, finish = max(intervals[j][0], start), min(intervals[j][1], end)
            if finish > begin:
                if begin > position:
                    stretch.append(Run(text[position:begin]))
                stretch.append(Run(text[begin:finish], intervals[j][2]))
                position = finish
            j += 1
        if position < end:
            stretch.append(Run(text[position:end]))
        out.append(stretch)
    return out


def runs(text: str, start: int, end: int) -> list[Run]:
    """text[start:end] as styled runs that join to exactly text[start:end]."""
    return pieces(text, [start, end])[0]
