"""English word forms: simplemma's lemmas and known words, read from a table built once per install.

    lemma("inhabitants") == "inhabitant"        is_known("reading") is True

The table holds simplemma's answer for every lower-cased word of its English dictionary, so a
lookup gives what simplemma gives without importing it (which, with its dictionary, takes about
a second). A word outside the dictionary is its own lemma: simplemma would guess one by suffix
rules and decompositions, but for the names and codes that make up such words in news text
("gansu", "lamborghinis", "s23") the guess is the word itself, and importing simplemma for it
would cost more than the whole extraction of a short document.
"""
from __future__ import annotations

import functools
import sqlite3
from pathlib import Path

from .tablecache import Tables

LANG = "en"


def _build(connection: sqlite3.Connection) -> None:
    """simplemma's lemma and known flag of every lower-cased word of its English dictionary."""
    import simplemma
    from simplemma.strategies import DEFAULT_DICTIONARY_FACTORY

    words = sorted({word.lower() for word in DEFAULT_DICTIONARY_FACTORY.get_dictionary(LANG)})
    connection.execute("CREATE TABLE words (word TEXT PRIMARY KEY, lemma TEXT NOT NULL, known INTEGER NOT NULL)"
                       " WITHOUT ROWID")
    connection.executemany("INSERT INTO words VALUES (?, ?, ?)", (
        (word, simplemma.lemmatize(word, lang=LANG), int(simplemma.is_known(word, lang=LANG))) for word in words))


_TABLES = Tables("lexicon", (Path(__file__),), ("simplemma",), _build)


@functools.lru_cache(maxsize=65536)
def _entry(word: str) -> tuple[str, bool] | None:
    rows = _TABLES.rows("SELECT lemma, known FROM words WHERE word = ?", (word,))
    return (rows[0][0], bool(rows[0][1])) if rows else None


def lemma(word: str) -> str:
    """The English lemma of a lower-case word ("inhabitants" -> "inhabitant", "exported" -> "export"); an unknown word as given."""
    entry = _entry(word)
    return entry[0] if entry else word


def is_known(word: str) -> bool:
    """Whether simplemma's English dictionary knows a lower-case word (as it is or capitalised)."""
    entry = _entry(word)
    return entry[1] if entry else False
