"""Sentence splitting that keeps character offsets and paragraph boundaries."""
from __future__ import annotations

import re
from typing import Iterator, NamedTuple

# Tokens whose trailing period does not end a sentence.
ABBREVIATIONS = {
    "mr", "mrs", "ms", "dr", "prof", "st", "no", "nos", "co", "corp", "inc", "ltd", "jr", "sr",
    "vs", "etc", "e.g", "i.e", "approx", "fig", "jan", "feb", "mar", "apr", "jun", "jul", "aug",
    "sep", "sept", "oct", "nov", "dec", "u.s", "u.k", "a.d", "b.c", "p.m", "a.m", "gov", "sen",
    "rep", "gen", "col", "lt", "mt", "ft", "est", "dept", "univ", "vol", "art", "para", "pp",
    "figs", "ref", "refs", "eq", "eqs", "eqn", "eqns", "suppl", "sect", "tab", "ca", "cf",
}
# A candidate boundary: terminal punctuation (plus closing quotes/brackets) then space,
# or a line break.
BOUNDARY_RE = re.compile(r"[.!?;]+[\"'”’)\]]*(?=\s)|\n|\*\*(?=\s+[A-Z])")
DIGIT_RE = re.compile(r"\d")
WORD_BEFORE_RE = re.compile(r"([\w.]+)\.$")
INITIALISM_RE = re.compile(r"(?:[a-z]\.)+[a-z]")
NEXT_VISIBLE_RE = re.compile(r"\s*(\S)")
TERMINAL_END_RE = re.compile(r"[.!?:”\"]\s*$")
MAX_SENTENCE = 5000  # hard cap so pathological input without punctuation stays linear


class Sentence(NamedTuple):
    """A sentence span and whether it opens a new paragraph."""

    start: int
    end: int
    new_paragraph: bool


def _is_abbreviation(text: str, end: int) -> bool:
    """True when the period ending at `end` belongs to an abbreviation or an initial."""
    if text[end - 1] != ".":
        return False
    m = WORD_BEFORE_RE.search(text, max(0, end - 12), end)
    if not m:
        return False
    word = m.group(1).lower()
    return word in ABBREVIATIONS or (len(word) == 1 and word.isalpha()) or bool(INITIALISM_RE.fullmatch(word))


def _continues(text: str, pos: int) -> bool:
    """True when the text after a boundary starts lower-case, i.e. the sentence goes on."""
    m = NEXT_VISIBLE_RE.match(text, pos)
    return bool(m) and (m.group(1).islower() or m.group(1) in ",;)")


def iter_sentences(text: str) -> Iterator[Sentence]:
    """Yield sentences of `text` with offsets; a paragraph broken mid-sentence is rejoined."""
    start = 0
    new_par = True
    n = len(text)
    for m in BOUNDARY_RE.finditer(text):
        end = m.end()
        is_newline = m.group() == "\n"
        if is_newline:
            # A line break that splits a sentence (page layout) is not a boundary.
            if _continues(text, end) and not TERMINAL_END_RE.search(text[start:m.start()]):
                continue
        elif m.group() == ";" and not DIGIT_RE.search(text, start, m.start()):
            # A semicolon after words without a figure parts a name or a list ("GNI per capita; PPP"),
            # not two claims.
            continue
        elif _is_abbreviation(text, end) or _continues(text, end):
            if end - start < MAX_SENTENCE:
                continue
        yield from _emit(text, start, end, new_par)
        new_par = is_newline or ("\n" in text[end:end + 3])
        start = end
    if start < n:
        yield from _emit(text, start, n, new_par)


def _emit(text: str, start: int, end: int, new_par: bool) -> Iterator[Sentence]:
    """Yield the stripped span, cut into MAX_SENTENCE pieces if it is too long."""
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    while end - start > MAX_SENTENCE:
        cut = text.rfind(" ", start, start + MAX_SENTENCE)
        cut = cut if cut > start else start + MAX_SENTENCE
        yield Sentence(start, cut, new_par)
        new_par = False
        start = cut
    if end > start:
        yield Sentence(start, end, new_par)
