"""What a number measures: noun phrases around it, their normalised key, and the subject."""
from __future__ import annotations

import functools
import re
from typing import TYPE_CHECKING

from . import entities, lexicon

if TYPE_CHECKING:
    from .context import DocState
    from .model import Quantity
    from .periods import Period

WORD_RE = re.compile(r"[A-Za-z][\w’'&.-]*[\w’']|[A-Za-z]|[,;:()\[\]]")
# A name's words may follow an elided article: "Côte d'Ivoire's".
NAME_WORD = r"(?:[dl][’'])?[A-Z][\w-]"

# Verbs and auxiliaries that end a noun phrase when walking away from a number.
VERBS = {
    "has", "have", "had", "is", "are", "was", "were", "be", "been", "being", "will", "would",
    "can", "could", "shall", "should", "may", "might", "must", "do", "does", "did", "saw",
    "sees", "see", "reach", "reaches", "reached", "exceed", "exceeds", "exceeded", "grew",
    "grow", "grows", "grown", "rose", "rise", "rises", "risen", "fell", "fall", "falls",
    "fallen", "stood", "stands", "hit", "hits", "hosts", "host", "operates", "operate",
    "include", "includes", "included", "including", "stretches", "stretch", "spans", "covers",
    "cover", "totaled", "totalled", "totaling", "totalling", "total", "amounted", "accounted",
    "accounting", "accounts", "ranked", "ranking", "ranks", "rank", "put", "make", "makes",
    "made", "become", "became", "remain", "remains", "remained", "surpassed", "topped",
    "bringing", "brought", "representing", "represents", "represented", "marking", "marked",
    "up", "down", "increased", "decreased", "declined", "dropped", "surged", "jumped",
    "climbed", "gained", "lost", "led", "leading", "reaching", "exceeding", "hosting",
    "featuring", "supporting", "launching", "opened", "launched", "established", "signed",
    "attracted", "dispatched", "forged", "implemented", "provided", "transported", "treated",
    "expanded", "helped", "approved", "concluded", "organized", "dispatched", "formulated",
    "integrated", "hosted", "employs", "employ", "employed", "comprises", "comprising",
    "offers", "offered", "cost", "costs", "paid", "pay", "sold", "sell", "earn", "earned",
    "said", "says", "announced", "reported", "showed", "shows", "estimated", "expected",
    "lift", "help", "build", "achieve", "compress", "increase", "reduce", "strive", "aim",
    "boasts", "boast", "valued", "worth", "got", "get", "gets", "set", "plans", "plan",
    "predicted", "projected", "forecast", "forecasted", "numbered", "numbers", "enrolls", "enrols", "lies", "sits",
}
# -ing words that are nouns, so they do not end a noun phrase.
ING_NOUNS = {
    "financing", "funding", "shipping", "building", "processing", "training", "manufacturing",
    "spending", "housing", "clearing", "building", "lending", "earnings", "holdings",
    "listing", "offering", "pricing", "trading", "banking", "opening", "rating", "ranking",
    "meeting", "marketing", "mileage", "accounting", "outstanding", "farming", "mining",
}
DETERMINERS = {
    "the", "a", "an", "its", "their", "our", "his", "her", "this", "that", "these", "those",
    "such", "each", "every", "all", "some", "any", "other", "another", "various", "both",
    "my", "your", "which", "whose",
}
NP_LINKS = {"of", "and", "with", "in", "for", "from", "along", "between", "to", "on", "&"}
PREPOSITIONS = {
    "of", "in", "on", "at", "to", "from", "with", "by", "for", "into", "onto", "over", "under",
    "across", "along", "between", "among", "through", "within", "without", "during", "since",
    "until", "via", "per", "after", "before", "about", "around", "against", "toward", "towards",
    "including", "such", "like", "out", "up", "down", "off", "as", "than", "near", "beyond",
}
QUALIFIER_WORDS = {
    "about", "around", "approximately", "nearly", "almost", "roughly", "some", "over", "more",
    "than", "above", "at", "least", "less", "fewer", "under", "below", "within", "up", "to",
    "by", "of", "just", "only", "well", "exceeding", "beyond", "close", "circa", "estimated",
    "little", "bit", "slightly", "mere",
}
ANAPHORS = {
    "it", "we", "they", "the province", "our province", "this province", "the city",
    "our city", "this city", "the country", "our country", "the region", "the area",
    "the municipality", "the state", "the nation", "the company", "the firm", "which",
    "this", "these", "those", "its", "our", "there", "he", "she", "us",
}
TITLE_WORDS = {
    "secretary", "president", "comrade", "minister", "governor", "mr", "mrs", "ms", "dr",
    "premier", "chairman", "general", "vice", "deputy", "director", "professor", "prof",
    "mayor", "ceo", "chief", "king", "queen", "prince", "senator", "author", "head",
}
# Noun heads that only package the thing counted ("66 pairs of sister cities").
CONTAINERS = {"pair", "pairs", "set", "sets", "batch", "batches", "kind", "kinds", "group",
              "groups", "piece", "pieces", "lot", "lots", "number", "total", "series", "type",
              "types", "amount", "range", "couple"}
FILLER = {
    "total", "overall", "number", "amount", "relationship", "relationships", "relation",
    "relations", "totaling", "totalling", "now", "currently", "already", "also", "still",
    "actual", "actually", "respectively", "year-on-year", "yoy", "successfully", "further",
    "more", "than", "over", "some", "about", "nearly", "approximately", "around", "just",
    "only", "in", "the", "a", "an", "its", "their", "our", "this", "that", "these", "those",
    "various", "other", "such", "both", "level", "scale", "volume", "value", "rate", "entire", "whole",
    "worldwide", "globally", "nationwide", "annual", "yearly",
}
SYNONYMS = {
    "freight": "cargo", "railroad": "railway", "railroads": "railway", "rail": "railway",
    "mileage": "length", "kilometers": "length", "kilometres": "length", "expressway": "expressway",
    "highways": "highway", "imports": "import", "exports": "export", "enterprises": "enterprise",
    "firms": "enterprise", "firm": "enterprise", "companies": "enterprise", "company": "enterprise",
    "people": "person", "countries": "country", "nations": "country", "nation": "country",
    "flights": "route", "flight": "route", "lines": "route", "line": "route", "routes": "route",
    "gdp": "gdp", "economy": "gdp", "fdi": "foreign direct investment",
    "institutes": "institute", "centres": "center", "centre": "center", "centers": "center",
    "generation": "production", "height": "elevation", "altitude": "elevation",
}
# Names of one measure written out or abbreviated, and words that state its default basis: life
# expectancy is at birth and an area its total surface unless said otherwise ("land area" is not).
PHRASE_SYNONYMS = (
    (re.compile(r"\bgross\s+domestic\s+product\b"), "gdp"),
    (re.compile(r"\bgross\s+national\s+income\b"), "gni"),
    (re.compile(r"\bgross\s+national\s+product\b"), "gnp"),
    (re.compile(r"\bcarbon\s+dioxide\b"), "co2"),
    (re.compile(r"\bat\s+birth\b"), " "),
    (re.compile(r"\bsurface\s+area\b"), "area"),
    (re.compile(r"\bseating\s+capacity\b"), "capacity"),
)
# A measure of nothing but a stretch of time ("in the year to March", "in fiscal year 2022") is the
# figure's period, which the claim carries apart.
PERIOD_ONLY = {"year", "quarter", "month", "week", "day", "decade", "period", "fiscal", "financial", "calendar",
               "first", "second", "third", "fourth", "final", "half"}
PLACE_KIND_WORDS = "(?:%s)" % "|".join(entities.ANAPHOR_KINDS)
BRACKET_RE = re.compile(r"\(([^()]*)\)")
PER_HEAD_RE = re.compile(r"\bper\s+(?:capita|person|head|inhabitant|resident)\b", re.I)
SHARE_OF_RE = re.compile(r"\s*(?:%|percent|per\s+cent)\s+of\b", re.I)
# Words that report a figure rather than name what it measures ("the latest value for X", "X was last measured at").
REPORTING_RE = re.compile(
    r"\b(?:(?:the\s+)?(?:latest|last|most\s+recent|current)\s+(?:value|figure|estimate|data)\s+(?:for|of|on)"
    r"|(?:the\s+)?value\s+(?:for|of)|(?:was|were|is|are|has\s+been)?\s*(?:last|latest|first)\s+(?:measured|recorded|reported|updated|estimated)"
    r"|as\s+of|according\s+to|current|approximate|official|estimates?|(?:is|was|are|were)\s+(?:currently\s+)?estimated(?:\s+(?:at|to\s+be))?|currently|estimated|latest)\b")
# A past-tense verb before an article is the clause's verb, not a modifier ("recorded an unemployment rate").
VERB_LEAD_RE = re.compile(r"^\s*[a-z]+ed\s+(?:a|an|the)\s+")
# Month names, years and "year" itself: the period of a figure, which the claim carries apart.
DATE_WORDS_RE = re.compile(
    r"\b(?:(?:in|for|of|during)\s+(?:the\s+)?(?:fiscal\s+|calendar\s+)?years?\b|(?:last|this|next|past|previous)\s+(?:year|month|quarter|decade)|today|(?:mid|early|late)-?\d{4}s?|\d{4}s?"
    r"|jan(?:uary)?|feb(?:ruary)?|march|april|june|july|aug(?:ust)?|sept?(?:ember)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)\b")
AIR_CUES = re.compile(r"\b(?:air|aviation|airport|airline|airlines|flights?|aircraft|airway)s?\b", re.I)
LAND_SEA_CUES = re.compile(r"\b(?:rail|railway|train|trains|land|sea|shipping|truck|road)\b", re.I)
MODE_HEADS = {"cargo route", "passenger route", "cargo", "passenger and cargo route"}
SUBJECT_VERB_RE = re.compile(
    r"((?:[A-Z][\w’'-]*|the\s+[A-Z][\w’'-]*|(?:[Tt]he\s+)?\b(?:city|town|municipality)\s+of\s+(?:the\s+)?[A-Z][\w’'-]*)"
    r"(?:\s+(?:of\s+(?:the\s+)?|and\s+|for\s+|(?:de|da|do|dos|del|du|la|le|van|von|der)\s+)?[A-Z][\w’'()-]*)*)"
    r"(?:\s*\([^)]{1,40}\))?\s+(?:has|have|had|is|are|was|were|saw|sees|will|now|also|still|then|"
    r"already|continues|remains|hosts|operates|ranks|ranked|accounts|reached|lies|sits|stands|stretches|spans|"
    r"covers|employs|enrolls|enrols|measures|holds|boasts|counts|produces|generates|[a-z]\w*ed)\b"
)
NEXT_WORD_RE = re.compile(r"\s+([a-z][\w-]*)")
COORDINATION_RE = re.compile(r",\s*(?:and\s+)?|\s+and\s+")
POSSESSOR_PHRASE_RE = re.compile(r"((?:%s*\s+)*%s*|[Tt]he\s+\w+|[Oo]ur\s+\w+|[Ii]ts|[Tt]heir)[’']s?\s+" % (NAME_WORD, NAME_WORD))
EMBEDDED_NAME_RE = re.compile(
    r"\s+(?:in|at|of)\s+(?:the\s+)?((?:%s\s+of\s+(?:the\s+)?)?(?:[A-Z][\w’'-]*)(?:\s+(?:of|and|the|for)\s+(?:the\s+)?[A-Z][\w’'-]*|\s+[A-Z][\w’'-]*)*)\s*$"
    % PLACE_KIND_WORDS)
PLACE_KIND_OF_RE = re.compile(r"^%s\s+of\s+(?:the\s+)?" % PLACE_KIND_WORDS)
# The rewrites of a measure key, in the order applied.
FOREIGN_TRADE_RE = re.compile(r"\b(?:foreign\s+)?(?:trade\s+)?(?:imports?\s+and\s+exports?|exports?\s+and\s+imports?|import-export)\b")
NUMBER_OF_RE = re.compile(r"\b(?:the\s+)?(?:total\s+)?number\s+of\b|\ba\s+total\s+of\b")
CONTAINER_OF_RE = re.compile(r"\b(?:%s)\s+of\b" % "|".join(CONTAINERS))
KEY_POSSESSIVE_RE = re.compile(r"'s\b")
KEY_WORD_RE = re.compile(r"[a-z0-9][a-z0-9&-]*")
TRADE_TRADE_RE = re.compile(r"\btrade trade\b")
MODE_WORD_RE = re.compile(r"\b(?:air|railway|sea|land|road)\b")
MODE_NOUN_RE = re.compile(r"\b(cargo|passenger)\b")
LEADING_THE_RE = re.compile(r"^[Tt]he\s+")
LEADING_LOWER_THE_RE = re.compile(r"^the\s+")
ANAPHOR_PHRASE_RE = re.compile(r"(?:the|our|this|its)\s+(?:province|city|country|region|nation|municipality|state|company|group)")


def singular(word: str) -> str:
    """Singular of a plural-looking word, by the lemmatiser ("inhabitants" -> "inhabitant"); other words stay as given, lower-cased."""
    word = word.lower()
    if len(word) <= 3 or not word.endswith("s") or word.endswith(("ss", "'s")):
        # Only plural-looking words: simplemma also maps verbs and -ing nouns ("building" -> "build").
        return word
    out = lexicon.lemma(word)
    return out if out.islower() and out.isalpha() and out not in ("be", "have", "we") else word


def tokens(text: str) -> list[str]:
    """Words and clause punctuation of a short span."""
    return WORD_RE.findall(text)


def is_verb(word: str, first: bool = False) -> bool:
    """Heuristic verb test used to delimit noun phrases."""
    low = word.lower()
    if low in VERBS:
        return True
    if first:
        return False
    return low.endswith("ing") and low not in ING_NOUNS and len(low) > 5


def phrase_after(text: str, pos: int, end: int, max_words: int = 7) -> tuple[str, int]:
    """Noun phrase right after a number, and where it ends ("66 pairs of ... relationships")."""
    out: list[str] = []
    last = pos
    for w in WORD_RE.finditer(text, pos, min(end, pos + 160)):
        word = w.group()
        low = word.lower()
        gap = text[last:w.start()]
        if gap.strip() or "\n" in gap or not word[0].isalpha():
            break
        if not out and low in DETERMINERS and low not in ("which", "whose", "each", "every", "all", "both"):
            last = w.end()
            continue
        if not out and (low in DETERMINERS or low in PREPOSITIONS or low in ("and", "or", "than")):
            break
        if not out and low.endswith(("ing", "ed")) and VERB_OBJECT_RE.match(text, w.end(), end):
            break  # "according to", "making it", "compared to": a verb, not the thing counted
        if low == "of" and out and out[-1].lower() in CONTAINERS:
            out.append(word)
            last = w.end()
            continue
        if low == "and" and out:
            nxt = NEXT_WORD_RE.match(text, w.end())
            if nxt and nxt.group(1) not in DETERMINERS and not is_verb(nxt.group(1)) and not nxt.group(1).endswith("ly") and nxt.group(1) not in PREPOSITIONS:
                out.append(word)
                last = w.end()
                continue
            break
        if low in PREPOSITIONS or low in DETERMINERS or low in ("or", "than") or is_verb(word, first=not out) or low.endswith("ly"):
            break
        if low in ("respectively", "year-on-year", "yoy", "each", "apiece", "nationwide", "nationally", "annually"):
            break
        out.append(word)
        last = w.end()
        if len(out) >= max_words:
            break
    while out and out[-1].lower() in ("and", "of"):
        out.pop()
    if not out:
        return "", pos
    return " ".join(out), last


def split_coordination(phrase: str) -> list[str]:
    """Items of a coordinated noun phrase ("highway mileage, railroad mileage, and X")."""
    parts = [p.strip() for p in COORDINATION_RE.split(phrase) if p.strip()]
    return parts


def possessor(phrase: str) -> tuple[str, str]:
    """Split "Gansu's GDP" into ("Gansu", "GDP"); no possessor gives ("", phrase)."""
    m = POSSESSOR_PHRASE_RE.search(phrase)
    if m and ("’" in m.group() or "'" in m.group()):
        return m.group(1), (phrase[:m.start()] + phrase[m.end():]).strip()
    if m and m.group(1).lower() in ("its", "their"):
        return m.group(1), (phrase[:m.start()] + phrase[m.end():]).strip()
    return "", phrase


def embedded_name(phrase: str) -> tuple[str, str]:
    """Split "institutions in the University Alliance" into the proper name and the rest."""
    m = EMBEDDED_NAME_RE.search(phrase)
    # The kind word stays with the name ("the city of São Paulo"): it tells a city from its state.
    if m and len(PLACE_KIND_OF_RE.sub("", m.group(1)).split()) >= 2:
        return m.group(1), phrase[:m.start()]
    return "", phrase


def split_variant(phrase: str) -> tuple[str, str]:
    """Split a bracketed description off a measure phrase: "GNI, PPP (current international $)" ->
    ("GNI, PPP", "current international $")."""
    variants = BRACKET_RE.findall(phrase)
    return " ".join(BRACKET_RE.sub(" ", phrase).split()), "; ".join(v.strip() for v in variants)


def bracketed_basis(key: str, description: str) -> str:
    """A measure key with what its bracketed unit description says about which figure it is: "CO2
    emissions (metric tons per capita)" are per capita, "Urban population (% of total population)"
    is a share, as when the text says so outside a bracket."""
    if not key:
        return key
    words = key.split()
    if PER_HEAD_RE.search(description) and "capita" not in words:
        key = f"{key} per capita"
    elif SHARE_OF_RE.match(description) and "share" not in words:
        key = f"{key} share"
    return key


def without_subject(phrase: str, subject: str = "") -> str:
    """The phrase with the places it names, and the subject's own name, taken out with their
    preposition or possessive ("population of Ghana" -> "population", "Gansu's GDP" -> "GDP")."""
    names = {m for m in (subject, entities.canonical_subject(subject) if subject else "") if m}
    for start, end, _ in reversed(entities.place_mentions(phrase)):
        names.add(phrase[start:end])
    for name in sorted(names, key=len, reverse=True):
        # Every match of the full pattern holds the name itself: a phrase without it is left as it is,
        # and most subjects are never written in a measure phrase, so their full pattern is never compiled.
        if _name_re(name).search(phrase):
            phrase = _whose_name_re(name).sub(" ", phrase)
    return " ".join(phrase.split())


@functools.lru_cache(maxsize=4096)
def _name_re(name: str) -> re.Pattern:
    """The name alone, matched as `_whose_name_re` matches it (ignoring case). Cached: one per subject
    of a corpus, like the full pattern."""
    return re.compile(re.escape(name), re.I)


@functools.lru_cache(maxsize=4096)
def _whose_name_re(name: str) -> re.Pattern:
    """The name where it says whose figure it is: "of/in/for X", "X's", or "X" opening the phrase
    ("foreign trade between China and ..." keeps its China). Cached: one per subject of a corpus,
    more than `re`'s own cache holds."""
    return re.compile(
        r"(?:\b(?:of|in|for|across|within|at|from)\s+(?:the\s+)?|^\s*(?:the\s+)?)(?:%s\s+of\s+)?(?<![\w-])%s(?:[’']s?)?(?![\w-])|(?<![\w-])%s[’']s?(?![\w-])"
        % (PLACE_KIND_WORDS, re.escape(name), re.escape(name)), re.I)


def measure_key(phrase: str, sentence: str, subject: str = "") -> str:
    """The concept a measure phrase names, as a key: its bracketed variant, the subject's name,
    reporting words and dates taken out, lemmatised, fillers dropped, synonyms and transport mode unified."""
    key = _phrase_key(phrase, subject)
    if any(key.endswith(h) for h in MODE_HEADS) and not MODE_WORD_RE.search(key):
        if AIR_CUES.search(sentence) and not LAND_SEA_CUES.search(sentence):
            key = MODE_NOUN_RE.sub(r"air \1", key, count=1)
    return key


# Cached: a claim's measure is keyed from the same phrases several times over (the phrase after the
# figure, the one before, the chosen one with its subject), and phrases recur across documents. Only
# the transport mode needs the sentence, so the rest is keyed by the phrase and the subject alone.
@functools.lru_cache(maxsize=8192)
def _phrase_key(phrase: str, subject: str) -> str:
    """The measure key of a phrase before its transport mode is read from the sentence (see `measure_key`)."""
    head, _ = split_variant(phrase)
    text = without_subject(head, subject).lower().replace("’", "'")
    text = REPORTING_RE.sub(" ", text)
    text = VERB_LEAD_RE.sub(" ", text)
    text = DATE_WORDS_RE.sub(" ", text)
    for pattern, name in PHRASE_SYNONYMS:
        text = pattern.sub(name, text)
    text = FOREIGN_TRADE_RE.sub("foreign trade", text)
    text = NUMBER_OF_RE.sub(" ", text)
    text = CONTAINER_OF_RE.sub(" ", text)
    text = KEY_POSSESSIVE_RE.sub("", text)
    words: list[str] = []
    for w in KEY_WORD_RE.findall(text):
        if w in FILLER or w in DETERMINERS:
            continue
        w = SYNONYMS.get(w, w)
        for part in w.split():
            part = singular(part)
            part = SYNONYMS.get(part, part)
            if not words or words[-1] != part:
                words.append(part)
    while words and words[-1] in NP_LINKS:
        words.pop()
    while words and words[0] in NP_LINKS:
        words.pop(0)
    if all(w in PERIOD_ONLY for w in words):
        return ""
    key = " ".join(words)
    return TRADE_TRADE_RE.sub("trade", key)


def clause_subject(text: str, start: int, pos: int) -> str:
    """Proper-noun subject of the clause before `pos` ("Gansu has ...", "the China-Laos Railway had ...")."""
    best = ""
    for m in SUBJECT_VERB_RE.finditer(text, start, pos):
        name = m.group(1)
        name = LEADING_THE_RE.sub("", name)
        if name.split()[0].lower() in TITLE_WORDS or name.lower() in ("in", "it", "we", "by", "the"):
            continue
        if name.split()[0] in ("In", "By", "From", "Since", "During", "Between", "Over", "Under", "As", "At", "On", "With", "For", "Through", "Among", "Of", "To", "And", "But", "This", "These", "It", "We", "They"):
            rest = name.split(None, 1)
            if len(rest) < 2:
                continue
            name = LEADING_LOWER_THE_RE.sub("", rest[1])
        best = name.strip()
    return best


def is_anaphor(phrase: str) -> bool:
    """True for "the province", "we", "it" and similar references to the document's subject."""
    low = phrase.lower().strip()
    return low in ANAPHORS or bool(ANAPHOR_PHRASE_RE.fullmatch(low))


EVENT_HEADS = {"forum", "fair", "expo", "exposition", "summit", "congress", "session", "plenary", "conference",
               "festival", "games", "olympics", "championship", "cup", "meeting", "committee", "plan"}


def is_event_name(name: str) -> bool:
    """True for events and bodies that are rarely what a figure is about ("Third Belt and Road Forum")."""
    return any(w.lower() in EVENT_HEADS for w in name.split())


def is_title_name(name: str) -> bool:
    """True for a person's title-led name ("General Secretary Xi Jinping")."""
    first = name.split()[0].lower() if name.split() else ""
    return first in TITLE_WORDS


# ---------------------------------------------------------------- the measure and subject of a quantity

POSSESSOR_RE = re.compile(r"((?:%s+\s+)*%s+)[’']s\b" % (NAME_WORD, NAME_WORD))
COMPARE_AFTER_RE = re.compile(r"\s+(?:higher|lower|more|less|above|below|faster|slower)\s+(?:than\s+)?(?P<ref>(?:the\s+)?[a-z][\w-]*(?:\s+[a-z][\w-]*){0,2})", re.I)
COMPARE_RE = re.compile(
    r"\b(?:outpac\w*|outperform\w*|ahead\s+of|higher\s+than|lower\s+than|above|below|exceed\w*)\s+"
    r"(?P<ref>(?:the\s+)?[\w\s-]{0,40}?)\s*(?:by\s+)?(?:about\s+|nearly\s+|some\s+)?$", re.I)
SHARE_RE = re.compile(r"\b(?:account(?:ed|s|ing)?\s+for|compris(?:ing|ed|es)|made\s+up|represent(?:ed|ing|s)?)\s+(?:\w+\s+){0,3}$", re.I)
TOTALING_RE = re.compile(r"\b(?:totall?ing|worth|valued\s+at|amounting\s+to|with\s+a\s+(?:total\s+)?value\s+of)\s+(?:\w+\s+)?$", re.I)
PARTICIPLE_RE = re.compile(r"\s+(?:were|was|have\s+been|has\s+been|had\s+been)\s+([a-z]+ed)\b")
GENERIC_HEADS = {"growth", "growths", "increase", "rise", "decline", "drop", "share", "proportion",
                 "rate", "level", "figure", "average", "annual", "total", "gain", "change", "it", "this"}
# Lengths and areas are named apart from counts of the same noun ("highways" vs "highway length");
# weights and durations are not, as nothing else is weighed or timed.
DIMENSION_WORDS = {"km": "length", "m": "length", "mi": "length", "ft": "length", "km2": "area", "m2": "area"}
LENGTH_UNITS = {"m", "km", "ft", "mi"}
ABOVE_SEA_LEVEL_RE = re.compile(r"\s+(?:\([^)]*\)\s+)?above\s+(?:mean\s+)?sea\s+level\b|\s+a\.?s\.?l\b", re.I)
PER_HEAD_AFTER_RE = re.compile(r"\s+(?:per|a|each)\s+(?:capita|person|head|inhabitant|resident)\b", re.I)
# Adjectives of a wage's or price's period, which belong to its unit ("€705 a month").
RATE_ADJECTIVES = {"monthly": "month", "hourly": "h", "weekly": "week", "daily": "d"}
# Measures whose figure counts something else: "a capacity of 90,000 seats" is a capacity.
SIZE_MEASURES = {"capacity", "workforce", "enrolment", "enrollment", "attendance", "membership", "headcount"}
# A name set off by a description before its verb: "Lombardy, the most populous region of Italy, has".
APPOSITION_RE = re.compile(
    r"\s*((?:[A-Z][\w’'-]*)(?:\s+(?:of\s+|and\s+|the\s+)*[A-Z][\w’'-]*)*),\s+(?:the|a|an|at|with|one)\b"
    r"(?:[^,;]|,(?=\d)){1,80},\s+(?:has|have|had|is|are|was|were|[a-z]+s|[a-z]+ed)\b")
# Measures that are lengths by name: "elevation" in metres is not an "elevation length".
LENGTH_HEADS = {"length", "elevation", "depth", "width", "distance", "diameter", "thickness", "radius",
                "perimeter", "circumference", "breadth", "span", "reach", "range"}
OUT_OF_RE = re.compile(r"\s+out\s+of\s+")
OF_IN_AFTER_RE = re.compile(r"\s+(?:of|in)\s+(?=[a-z])")
OF_AFTER_RE = re.compile(r"\s+of\s+")
POSSESSIVE_RE = re.compile(r"[’']s$")
CHANGE_HEAD_RE = re.compile(r"\b(?:growth|increase|decline|change|rise|drop)\b")


def _document_subject(state: DocState, reference: str) -> str:
    """The document's subject a reference stands for: the most frequent subject so far, of the kind
    the reference names when it names one ("the province" in a document about Gansu and China)."""
    kind = entities.anaphor_kind(POSSESSIVE_RE.sub("", reference or ""))
    if kind:
        for name, _ in state.subjects.most_common():
            if entities.resolve_subject(name).kind == kind:
                return name
    return state.default_subject()


def _sentence_entity(text: str, s0: int, s1: int, pos: int, subject: str, guessed: bool,
                     unwritten: bool = False) -> entities.Entity:
    """The entity a claim is about: its subject when that is a place or a name, else the place the
    sentence names nearest before the figure ("The population of Zambia in 2003 was ...").

    `unwritten`: the clause named no subject, not even a reference ("its", "the province"), so the
    document's subject was guessed. When the sentence never names that subject but opens with a
    place of its own, after at most a short opening phrase, that place is the better guess
    ("Nigeria set its minimum wage at ...", "Across the border, Spain set ..." in a page that began
    with another country). A place named further in ("with the opening of the Lanzhou-Hanoi
    route, ...") is no subject.
    """
    entity = entities.resolve_subject(subject)
    if not (guessed and unwritten) and entity.kind != entities.NAME:
        return entity
    mentions = entities.place_mentions(text, s0, s1)
    if (guessed and unwritten and mentions and mentions[0][1] <= pos and _opens_sentence(text[s0:mentions[0][0]])
            and entity.key not in {place.key for _, _, place in mentions}):
        return mentions[0][2]
    if entity.kind != entities.NAME:
        return entity
    inside = entities.place_mentions(entity.name)
    if inside and any(w[0].islower() and w not in NP_LINKS | DETERMINERS for w in entity.name.split()):
        return inside[-1][2]  # "The population of Morocco" (including Western Sahara)
    folded = entities.fold(entity.name)
    for start, end, place in mentions:
        # A name cut short by the subject pattern ("Kitts and Nevis" of "St. Kitts and Nevis").
        if folded and folded in entities.fold(text[start:end]):
            return place
    if mentions and (guessed or not _is_proper_name(entity.name)):
        before = [m for m in mentions if m[1] <= pos]
        return (before[-1] if before else mentions[0])[2]
    return entity


def _opens_sentence(prefix: str) -> bool:
    """True when a name after `prefix` opens its sentence: nothing, an article, or a short opening
    phrase set off by a comma ("Across the border, ")."""
    words = prefix.split()
    return not words or (len(words) == 1 and words[0].lower() in DETERMINERS) or (
        prefix.rstrip().endswith(",") and len(words) <= 4)


def _of_object(words: list[str]) -> list[str] | None:
    """The clause words before "of" when the figure is its object ("a population of less than 4.5
    million"), else None."""
    words = list(words)
    while words and words[-1].lower() in QUALIFIER_WORDS - {"of"}:
        words.pop()
    return words if words and words[-1].lower() == "of" else None


def _measure_before(text: str, s0: int, q: Quantity, quants: list[Quantity], periods: list[Period]) -> bool:
    """True when q is the object of a measure named before it ("a population of less than 4.5 million")."""
    words = _of_object(clause_words(text, s0, q, quants, periods))
    if words is None:
        return False
    before, _ = phrase_before(words)
    return bool(measure_key(possessor(before)[1], ""))


def without_size_words(phrase: str) -> str:
    """A measure named before "of" without the words that judge the figure's size ("a small
    population of 1.4 million" is a population), its last word (the measure's head) kept."""
    words = phrase.split()
    kept = [w for i, w in enumerate(words) if i == len(words) - 1 or w.lower() not in SIZE_WORDS]
    return " ".join(kept)


def _verb_noun(text: str, s0: int, pos: int) -> str:
    """The action noun of the output or trade verb just before a figure ("exported about 5" -> "export")."""
    words = [w.lower() for w in tokens(text[max(s0, pos - 60):pos])]
    while words and words[-1] in QUALIFIER_WORDS:
        words.pop()
    return VERB_NOUNS.get(lexicon.lemma(words[-1]), "") if words and words[-1] not in VERB_NOUNS else ""


def _split_subject_phrase(phrase: str, sentence: str) -> tuple[entities.Entity, str]:
    """A subject phrase that holds its measure, split: ("Exports of Japan") -> (Japan, "export"),
    ("World Bank lending") -> (World Bank, "lending"); no split gives (the phrase's entity, "")."""
    places = entities.place_mentions(phrase)
    if places:
        place = places[-1][2]
        return place, measure_key(phrase, sentence, place.name)
    m = NAME_HEAD_RE.match(phrase)
    if m and m.end() < len(phrase):
        return entities.resolve_subject(m.group()), measure_key(phrase[m.end():], sentence)
    return entities.resolve_subject(phrase), ""


def _is_proper_name(name: str) -> bool:
    """True for a name of something ("World Bank", "China-Laos Railway"), not a phrase of common
    words ("The population of", "Inflation")."""
    words = name.split()
    if not words or any(w[0].islower() and w.lower() not in NP_LINKS | DETERMINERS for w in words):
        return False
    return not (len(words) == 1 and entities.is_common_word(words[0]))


def tally_subjects(text: str, s0: int, s1: int, state: DocState) -> None:
    """Count the proper-noun subjects of one sentence (clause subjects and possessors)."""
    subj = clause_subject(text, s0, s1)
    if subj and not is_anaphor(subj) and not is_title_name(subj) and not is_event_name(subj):
        state.subjects[entities.canonical_subject(subj)] += 1
    for m in POSSESSOR_RE.finditer(text, s0, s1):
        if not is_title_name(m.group(1)) and not is_event_name(m.group(1)):
            state.subjects[entities.canonical_subject(m.group(1))] += 1


def clause_words(text: str, s0: int, q: Quantity, quants: list[Quantity], periods: list[Period]) -> list[str]:
    """Tokens of the sentence before q, with other quantities and periods replaced by markers."""
    spans = sorted([(o.start, o.end, "<Q>") for o in quants if o.end <= q.start] +
                   [(p.start, p.end, "<P>") for p in periods if p.end <= q.start])
    words: list[str] = []
    pos = s0
    for a, b, mark in spans:
        if a < pos:
            continue
        words += tokens(text[pos:a])
        words.append(mark)
        pos = b
    words += tokens(text[pos:q.start])
    return words


_SKIP = QUALIFIER_WORDS | {"from", "at", "of", "to", "by", "for", "as", "<Q>", "<P>", ",", "with", "and", "or",
                             "in", "then", "respectively", "year-on-year", "(", ")", "put", "it", "which"}


# Nouns for people, which name the population when they are what is counted. WordNet's "person"
# hypernyms would give them, but its data is not on PyPI; lemmatised, so singular forms suffice.
PERSON_NOUNS = {"person", "people", "inhabitant", "resident", "citizen", "individual", "soul", "dweller"}
RESIDENT_NOUNS = {"inhabitant", "resident", "dweller"}
# Words that judge how big a figure is rather than say which measure it is ("a small population of",
# "a sizeable workforce of"), with the adverbs that grade them. No lemmatiser on PyPI tags degree
# adjectives apart from restricting ones ("urban", "working-age"), so they are listed.
SIZE_WORDS = {"small", "smaller", "large", "larger", "big", "bigger", "huge", "vast", "tiny", "modest",
              "sizable", "sizeable", "considerable", "substantial", "enormous", "massive", "impressive",
              "whopping", "staggering", "respectable", "healthy", "meagre", "meager", "mere", "very",
              "fairly", "rather", "quite", "relatively", "comparatively", "much", "far", "even", "somewhat"}
POPULATION_RE = re.compile(r"\bpopulation\b", re.I)
HOME_TO_RE = re.compile(r"\bhome\s+to\s+(?:[a-z]+\s+){0,3}$", re.I)
VERB_OBJECT_RE = re.compile(r"\s+(?:to|at|it|them|an?|the)\b")
# The noun for what a verb of output or trade makes of its object ("produced 5 t of copper" is copper
# production). lemminflect and simplemma inflect but do not derive; WordNet's derivationally related
# forms would, but its data is not on PyPI.
VERB_NOUNS = {"produce": "production", "export": "export", "import": "import", "generate": "generation",
              "consume": "consumption", "sell": "sales", "emit": "emission", "spend": "spending",
              "lend": "lending", "employ": "employee", "mine": "output", "harvest": "harvest"}
PER_AFTER_RE = re.compile(r"\s+per\s+[a-z]")
# A leading run of capitalised words: the name in "World Bank lending".
NAME_HEAD_RE = re.compile(r"(?:[A-Z][\w’'.&-]*)(?:\s+(?:of\s+|and\s+|the\s+)*[A-Z][\w’'.&-]*)*")
# Words of a reporting phrase before a figure ("was last measured at", "latest recorded").
REPORTING_WORDS = {"last", "latest", "measured", "recorded", "reported", "updated"}
_STOP = {"that", "which", "while", "as", "when", "where", "who", "than", "because", "if", "since", "including", "or",
         "but"}


def phrase_before(words: list[str], through_commas: bool = False) -> tuple[str, int]:
    """Noun phrase closing the clause before a number, skipping the verb group and earlier quantities."""
    i = len(words) - 1
    finite = bracketed = False
    while i >= 0:
        w = words[i]
        low = w.lower()
        if w == ":" and all(x in _SKIP for x in words[i + 1:]):
            # "Fertility rate in Peru: 2.1": the label before the colon names the figure.
            i -= 1
            continue
        if w in (";", ":"):
            break
        if w == "," and finite:
            # "The Silk Road, spanning ..., stretches over N": the subject opens the sentence.
            return "", -2
        if w == ")" and (k := _bracket_open(words, i)) >= 0:
            # "GNI, PPP (current international $) in Chile was": the bracket describes the unit.
            i, bracketed = k - 1, True
            continue
        finite = finite or (low in VERBS and not low.endswith("ing"))
        # A participle before its preposition is the verb ("was raised to", "is put at").
        participle = w.islower() and low.endswith("ed") and i + 1 < len(words) and words[i + 1].lower() in ("to", "at", "by")
        if (w in _SKIP or low in _SKIP or low in REPORTING_WORDS or is_verb(w) or low in DETERMINERS or low.endswith("ly")
                or participle):
            i -= 1
            continue
        # A locative "in China" / "within Gansu Province", or the agent "by the United Nations",
        # is not the measured thing.
        j = i
        while j >= 0 and words[j][:1].isupper() and words[j] not in ("<Q>", "<P>"):
            j -= 1
        while 0 < j < i and words[j].lower() == "the":
            j -= 1
        if j >= 0 and j < i and words[j].lower() in ("in", "within", "across", "at", "nationwide", "to", "by"):
            i = j - 1
            continue
        break
    out: list[str] = []
    while i >= 0:
        w = words[i]
        low = w.lower()
        if w == "," and through_commas:
            out.append(w)
            i -= 1
            continue
        if w == ")" and (k := _bracket_open(words, i)) >= 0:
            i, bracketed = k - 1, True
            continue
        if low in ("and", "or") and "<Q>" in words[max(0, i - 3):i]:
            break  # "an area of 710 square km and population of": the words before belong to that figure
        if w in (",", ";") and len(out) == 1 and (bracketed or out[0].lower() in FILLER):
            # An indicator's name with one qualifier: "GNI per capita, PPP (...)", "Population, total".
            i -= 1
            continue
        if w in (",", ";", ":", "(", ")", "<Q>", "<P>") or low in VERBS or (out and is_verb(w)) or low in _STOP:
            break
        if out and w.islower() and low.endswith("ed") and i > 0 and words[i - 1][:1].isupper():
            break  # "California raised its minimum wage": a past tense after a name is the clause's verb
        out.append(w)
        i -= 1
    out.reverse()
    while out and (out[0].lower() in NP_LINKS | {"by", "at", "as"} or out[0] == ","):
        out.pop(0)
    return " ".join(out).replace(" ,", ","), i


def _bracket_open(words: list[str], close: int) -> int:
    """Index of the "(" that the ")" at `close` closes, or -1 (also when the bracket holds a figure of its own)."""
    for k in range(close - 1, -1, -1):
        if words[k] == "(":
            return k
        if words[k] in (")", "<Q>"):
            return -1
    return -1


# Words of an opening time phrase written without a comma ("Last year the bakery sold ...").
OPENING_TIME_WORDS = {"last", "this", "next", "past", "previous", "early", "late", "year", "month", "quarter",
                      "week", "decade", "season", "spring", "summer", "autumn", "fall", "winter", "today",
                      "yesterday"}
# What an opening phrase of time is made of before its year ("In", "By the end of", "In early").
TIME_PHRASE_WORDS = PREPOSITIONS | DETERMINERS | OPENING_TIME_WORDS | {
    "end", "beginning", "start", "middle", "mid", "first", "second", "third", "fourth", "half", "fiscal",
    "financial", "calendar", "january", "february", "march", "april", "may", "june", "july", "august",
    "september", "october", "november", "december"}
YEAR_TOKEN_RE = re.compile(r"(?:1[5-9]\d\d|20\d\d)s?")
PHRASE_TOKEN_RE = re.compile(r"\d+(?:[.,]\d+)*[a-z]*|" + WORD_RE.pattern)


def _first_phrase(text: str, s0: int, pos: int) -> str:
    """The sentence's opening noun phrase (its grammatical subject, usually), after any opening
    adverbial ("By the beginning of 1992, the population of Portugal ...", "In 2004 the cooperative
    pressed ...", "Last year the bakery sold ...").

    A past-tense verb that follows the phrase's noun ends it ("the cooperative pressed"): the hand
    list of verbs cannot hold every verb, so an -ed word the lemmatiser takes back to another known
    word counts as one there; after a determiner it is an adjective ("the skilled workers").
    """
    words: list[str] = []
    after_time = False  # the words so far follow an opening time ("In 2020 alone, ...")
    for w in PHRASE_TOKEN_RE.findall(text, s0, pos):
        low = w.lower()
        if w[0].isdigit():
            if not YEAR_TOKEN_RE.fullmatch(w):
                if words and words[-1].lower() in PREPOSITIONS and words[0].lower() not in PREPOSITIONS:
                    break  # "Prices range from $370,000": a figure ends the phrase; "The top 10 banks" does not
            elif words and words[0].lower() in PREPOSITIONS and all(x.lower() in TIME_PHRASE_WORDS for x in words):
                words, after_time = [], True  # "In 2004 the cooperative", "By the end of 2019 the town"
            continue  # a year inside a name stays out of it ("the battery-powered 2024 GMC Hummer")
        if not words and low in ("and", "to", "or"):
            continue  # "Between 1600 and 1900 world temperatures": the rest of the opening time
        if w == ",":
            if (not words or after_time or words[0].lower() in PREPOSITIONS | {"according"}
                    or all(x.lower() in OPENING_TIME_WORDS for x in words)):
                words, after_time = [], False  # the comma closing an opening adverbial ("Last year, the ...")
                continue
            break
        if w in (";", ":", "(") or low in VERBS:
            break
        if (words and low.endswith("ed") and words[-1].lower() not in DETERMINERS
                and (base := lexicon.lemma(low)) != low and lexicon.is_known(base)):
            break
        words.append(w)
    # "Last year the bakery", "This spring the club": an opening time phrase of two time words comes off.
    lead = 0
    while lead < len(words) and words[lead].lower() in OPENING_TIME_WORDS:
        lead += 1
    if 2 <= lead < len(words):
        words = words[lead:]
    return " ".join(words)


def assign_measure(text: str, s0: int, s1: int, q: Quantity, quants: list[Quantity],
                    periods: list[Period], state: DocState, sentence: str) -> None:
    """Set measure_text, measure key and subject of q, and adjust confidence."""
    after, after_end = "", q.end
    if not q.unit or q.unit in ("TEU", "times"):
        om = OUT_OF_RE.match(text, q.end, s1)
        # "5 out of 10 cities" counts what the next figure counts; "1.4 million out of which 0.7
        # million live in the capital" does not: the next figure must follow "out of" directly.
        nxt = [o for o in quants if om and om.end() - 1 <= o.start <= om.end()]
        if nxt:
            after, after_end = phrase_after(text, nxt[0].end, s1)
        elif not q.unit or q.unit == "TEU":
            after, after_end = phrase_after(text, q.end, s1)
    if not after and q.unit not in ("%", "pp", "rank"):
        om = OF_IN_AFTER_RE.match(text, q.end, s1)
        if om:
            after, after_end = phrase_after(text, om.end(), s1)
            if om.group().split()[0] == "in" and _measure_before(text, s0, q, quants, periods):
                after = ""  # "a population of 4.5 million in an area ...": the measure came first
    if after:
        part = PARTICIPLE_RE.match(text, after_end, s1)
        if part:
            after = f"{after} {part.group(1)}"
        counted = measure_key(after, sentence)
        if not counted or (not q.unit and " " not in after and PER_AFTER_RE.match(text, after_end, s1)):
            after = ""  # "in mid-2000" is a date, "births per woman" the unit: neither is what is measured
        elif counted.split()[-1] in PERSON_NOUNS and (POPULATION_RE.search(sentence) or counted in RESIDENT_NOUNS
                                                       or HOME_TO_RE.search(text, max(s0, q.start - 40), q.start)):
            # "a population of 89,985 people", "9,056,010 inhabitants", "home to 2 million people": people
            # counted are a population.
            after = "population"
        if after and (noun := _verb_noun(text, s0, q.start)):
            # What an employer employs are its employees, whatever the noun counted ("people", "staff").
            after = noun if noun == "employee" else f"{after} {noun}"
    words = clause_words(text, s0, q, quants, periods)
    before, idx = phrase_before(words)
    if idx == -2:
        before, idx = _first_phrase(text, s0, q.start), -1
    if before and all(w.lower() in GENERIC_HEADS or w.lower() in DETERMINERS for w in before.split()):
        more, _ = phrase_before(words[:max(0, idx + 1)])
        before = f"{more} {before}".strip()
    owner, rest = possessor(before)
    if rest and not after and _of_object(words) is not None:
        rest = without_size_words(rest)
    if after and rest and measure_key(rest, sentence).split()[-1:] in ([h] for h in SIZE_MEASURES):
        after = ""  # "a capacity of 90,000 seats": the seats are what the capacity is counted in
    prev = [o for o in quants if o.end <= q.start]
    left = text[max(s0, q.start - 30):q.start]
    measure_text = after or rest
    derived = ""
    if q.currency and prev and TOTALING_RE.search(left) and prev[-1].measure:
        derived = f"{prev[-1].measure} value"
    subject = owner if owner and not owner.lower().startswith(("its", "their")) else ""
    if not subject and measure_text and not after:
        name, rest2 = embedded_name(measure_text)
        if name:
            subject, measure_text = name, rest2
    if not subject:
        subject = clause_subject(text, s0, q.start)
    if not subject and (apposed := APPOSITION_RE.match(text, s0, q.start)):
        subject = apposed.group(1)  # "Lombardy, the most populous region of Italy, has ..."
    guessed, unwritten = False, not subject
    if not subject or is_anaphor(subject) or is_anaphor(POSSESSIVE_RE.sub("", subject)):
        subject = _document_subject(state, subject) or _first_phrase(text, s0, q.start)
        guessed = True
    entity = _sentence_entity(text, s0, s1, q.start, subject, guessed, unwritten)
    named = subject if entities.resolve_subject(subject).key == entity.key else entity.name
    key = derived or measure_key(measure_text, sentence, named)
    if not key and not derived and entity.kind == entities.NAME:
        # The subject pattern took the measure with it ("The GDP of Nigeria was", "World Bank
        # lending reached"): the place or the name in it is the subject, the rest the measure.
        entity, key = _split_subject_phrase(entity.name, sentence)
        named = entity.name
    same = [o for o in prev if o.unit == q.unit and o.measure]
    if not key and same:
        key, measure_text = same[-1].measure, same[-1].measure_text
    if q.unit in LENGTH_UNITS and ABOVE_SEA_LEVEL_RE.match(text, q.end, s1) and not LENGTH_HEADS.intersection(key.split()):
        key = "elevation"  # "rises to 5,895 metres above sea level"
    if q.unit in DIMENSION_WORDS and not after:
        if not key:
            key = measure_key(_first_phrase(text, s0, q.start), sentence)
        if DIMENSION_WORDS[q.unit] not in key.split() and not (
                DIMENSION_WORDS[q.unit] == "length" and LENGTH_HEADS.intersection(key.split())):
            key = f"{key} {DIMENSION_WORDS[q.unit]}".strip()
    for name in (named.lower(), entity.name.lower()):
        if name and key.startswith(name + " "):
            key = key[len(name) + 1:]
    pct_before = [o for o in prev if o.unit == "%" and o.measure]
    compare = None
    if q.unit == "pp" and pct_before:
        compare = COMPARE_RE.search(text[max(s0, q.start - 60):q.start]) or COMPARE_AFTER_RE.match(text, q.end, s1)
    if compare:
        # "grew 3.8%, outpacing the country by 3.2 percentage points": the margin of the earlier rate
        ref = measure_key(compare.group("ref") or "", sentence) or "reference"
        key = f"{pct_before[-1].measure} margin over {ref}"
    elif q.unit in ("%", "pp") and not derived:
        of = OF_AFTER_RE.match(text, q.end, s1)
        # "one in five adults": the part of a whole names its whole right after it, with no "of".
        whole_at = of.end() if of else q.end if q.kind == "frac" and q.unit == "%" else None
        if SHARE_RE.search(text[max(s0, q.start - 50):q.start]) or (whole_at is not None and q.unit == "%" and not q.change):
            whole = measure_key(phrase_after(text, whole_at, s1)[0], sentence) if whole_at is not None else ""
            if whole and (not key or q.kind == "frac"):
                key = whole  # a spoken share is of its whole: "a third of voters" is the voters' share
            key = f"{key} share".strip()
        elif q.change and not CHANGE_HEAD_RE.search(key):
            key = f"{key} growth".strip()
    if q.unit == "rank":
        if any(o.change for o in prev) and "growth" not in key:
            key = f"{key} growth"
        key = f"{key} rank".strip()
    if key and PER_HEAD_AFTER_RE.match(text, q.end, s1) and "capita" not in key.split():
        key = f"{key} per capita"  # "CO2 emissions were 3.4 tonnes per capita"
    if q.currency and "/" not in q.unit and (rate := RATE_ADJECTIVES.keys() & set(key.split())):
        # "a monthly minimum wage of €705" is €705 a month.
        word = rate.pop()
        q.unit = f"{q.unit}/{RATE_ADJECTIVES[word]}"
        key = " ".join(w for w in key.split() if w != word)
    q.measure_text = measure_text
    q.measure = key
    q.subject = entity.name
    q.subject_key = entity.key
    q.guessed_subject = guessed
    if guessed:
        q.confidence -= 0.1
    if not key:
        q.confidence -= 0.25
    elif q.unit == "" and not after:
        q.confidence -= 0.1
