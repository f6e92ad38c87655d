"""Unit symbols of technical writing ("2617 m", "7.8 m s−1", "25 ng/ml") and the context that admits them.

The symbol table (surface -> pint-canonical code) is built through pint once and cached with the
other unit tables (see `units.load_tables`); reading a symbol after a number needs only that table.
Whether a short symbol is a unit is decided from context, as data: `TECHNICAL_ONLY` symbols (one
letter, or a common word) are read only in a technical sentence or document (`UnitContext`), and
never where money is spoken of, where "3 m" and "20 K" are 3 million and 20 thousand.
"""
from __future__ import annotations

import functools
import re
from typing import TYPE_CHECKING, Callable

if TYPE_CHECKING:
    import pint

# Bumped when the table built below changes shape; part of the cache key with this file's source.
SYMBOL_TABLE_VERSION = 1

# SI prefixes as written (both micro signs, and "u" for plain-text micro) -> pint's prefix symbol.
PREFIXES = {"P": "P", "T": "T", "G": "G", "M": "M", "k": "k", "h": "h", "d": "d", "c": "c", "m": "m",
            "µ": "µ", "μ": "µ", "u": "µ", "n": "n", "p": "p", "f": "f"}
# Base symbol as written -> (pint symbol, the prefixes it takes in practice). Odd pairs ("hK") are left
# out so a stray word cannot be read as one.
BASES = {
    "m": ("m", "kcdmµμunpf"), "g": ("g", "kMGTPmµμunpf"), "s": ("s", "kmµμunpf"), "l": ("l", "mµμudc"),
    "L": ("l", "mµμudc"), "A": ("A", "kmµμnp"), "K": ("K", "mµμn"), "mol": ("mol", "kmµμunpf"),
    "M": ("M", "mµμunpf"), "Hz": ("Hz", "kMGTmµμ"), "N": ("N", "kMmµμn"), "Pa": ("Pa", "kMGhmµμ"),
    "J": ("J", "kMGmµμn"), "W": ("W", "kMGTmµμnp"), "Wh": ("Wh", "kMGTm"), "V": ("V", "kMmµμn"),
    "F": ("F", "mµμunp"), "Ω": ("Ω", "kMGmµμ"), "S": ("S", "mµμn"), "T": ("T", "mµμn"), "H": ("H", "mµμn"),
    "eV": ("eV", "kMGTm"), "Gy": ("Gy", "mcµμ"), "Sv": ("Sv", "mµμ"), "Bq": ("Bq", "kMGT"),
    "Da": ("Da", "kM"), "bar": ("bar", "mk"), "cal": ("cal", "k"), "Wb": ("Wb", "m"), "lx": ("lx", "k"),
    "lm": ("lm", ""), "rad": ("rad", "mµμ"), "C": ("C", "mµμnp"),
    "h": ("h", ""), "min": ("min", ""), "d": ("d", ""), "t": ("t", "MG"), "Å": ("Å", ""), "atm": ("atm", ""),
    "Torr": ("torr", ""), "torr": ("torr", ""), "mmHg": ("mmHg", ""), "psi": ("psi", ""), "°": ("deg", ""),
    "‰": ("‰", ""), "ppm": ("ppm", ""), "°C": ("degC", ""), "°F": ("degF", ""),
    "kn": ("kn", ""), "sr": ("sr", ""), "Np": ("Np", ""), "yr": ("a", "kMG"), "dB": ("dB", ""), "ha": ("ha", ""),
    "au": ("au", ""), "pc": ("pc", "kMG"), "ly": ("ly", ""), "dBm": ("dBm", ""), "bit": ("bit", "kMGT"),
    "day": ("d", ""), "Ah": ("Ah", "km"),
    "erg": ("erg", ""), "a": ("a", "kMG"), "b": ("b", "fpnµμ"), "ppb": ("ppb", ""), "AU": ("au", ""),
    "deg": ("deg", ""), "mas": ("mas", ""), "arcsec": ("arcsec", ""), "arcmin": ("arcmin", ""),
    "Jy": ("Jy", "mµμk"), "U": ("U", "mµμnk"), "Oe": ("Oe", "k"), "G": ("G", ""), "emu": ("emu", ""),
    "Ci": ("Ci", "kmµμnp"), "ºC": ("degC", ""), "º": ("deg", ""),
    "°N": ("deg", ""), "°S": ("deg", ""), "°E": ("deg", ""), "°W": ("deg", ""), "c": ("c", ""),
}
# Written forms pint has no symbol for, read as the code pint knows ("wt%" is a percentage by weight).
EXTRA_SYMBOLS = {"wt%": "%", "vol%": "%", "at%": "%", "mol%": "%", "wt.%": "%", "at.%": "%", "vol.%": "%", "mol.%": "%"}
# Symbols that are also words, times of day or scale letters: units only in technical context.
AMBIGUOUS = {"pm", "bar", "cd", "lm", "min", "Pa", "ps", "dl", "us", "Np", "sr", "kn", "um", "Da", "cal",
             "ka", "Ma", "Ga", "fb", "pb", "nb", "mas", "Gg", "Tg", "Pg"}
# Bases read bare only inside a compound ("2 S cm−1", "150 F g−1"): alone, "C" and "F" are degrees
# Celsius and Fahrenheit in most text, "S" and "H" letters, "bit" and "day" words ("a 64 bit key",
# "a 5 day course"), "a" and "b" the article and a label letter ("compound 2b"), "Mg" magnesium, "U"
# and "G" letters ("5G"), "c" the speed of light; "mg kg−1 day−1", "Mbit/s", "mm a−1", "Mg ha−1", "U/mL",
# "G cm3" and "GeV/c²" are units.
COMPOUND_ONLY = {"C", "F", "S", "H", "bit", "day", "a", "b", "Mg", "U", "G", "c"}
# Symbols the news text reads already (km, kg, mph ...): reading one is no sign of technical text.
NEWS_SYMBOLS = {"km", "kg", "kW", "MW", "GW", "TW", "kWh", "MWh", "GWh", "TWh", "GHz", "min", "ha", "psi",
                "pc", "ly", "au"}


def technical_only(surface: str) -> bool:
    """True when the symbol is read as a unit only in technical context: one letter, or a word too."""
    return len(surface) == 1 and surface not in ("°", "º", "‰", "Å", "Ω") or surface in AMBIGUOUS


def build_symbol_table(ureg: pint.UnitRegistry, code_of: Callable[[pint.UnitRegistry, str], str]) -> dict[str, str]:
    """Every written symbol (prefix + base) -> its pint-canonical code, sorted so the cache file is reproducible."""
    table: dict[str, str] = {}
    for base, (pint_base, prefixes) in BASES.items():
        table[base] = code_of(ureg, pint_base)
        for prefix in prefixes:
            table[prefix + base] = code_of(ureg, PREFIXES[prefix] + pint_base)
    table |= EXTRA_SYMBOLS
    return dict(sorted(table.items()))


# ---------------------------------------------------------------- reading a symbol unit after a number

_SUPER = str.maketrans("⁰¹²³⁴⁵⁶⁷⁸⁹⁻", "0123456789-")
_SEP0_RE = re.compile(r"[ \u00a0\u2009\u202f]?")
# A symbol with its exponent: "m", "s−1", "m^-2", "μm2", "cm³", "K⁻¹". A hyphen or minus then a digit
# is an exponent only when nothing but a boundary follows ("m-2 m" is no exponent, "W m-2." is).
# A square root is an exponent too ("MPa·m^1/2", "m^0.5", "m½").
TERM_RE = re.compile(
    r"(?P<sym>[A-Za-zµμΩÅ°º‰]+(?:\.?%)?|‰|°[CF]?|Å)"
    r"(?P<exp>(?:\^|\*\*)\(?[-−]?(?:1/2|0\.5)\)?|[-−⁻]?½"
    r"|\^[{(][-−]?[1-4][})]|(?:\^|\*\*)?[-−⁻]?[1-4](?![\d.,]\d)|[⁻]?[¹²³⁴])?(?![A-Za-z\d_⊙☉⊕])"
)
HALF_RE = re.compile(r"1/2|0\.5|½")
# An element or compound named between a mass and its denominator ("450 g C m−2 yr−1", "120 kg N ha−1",
# "2.1 Pg C yr−1", "500 µmol photons m−2 s−1"): what is weighed or counted, not a symbol of the unit, so it
# is passed over.
CARRIER_RE = re.compile(r"(?:C|N|P|S|CO2|CO₂|CH4|CH₄|N2O|N₂O|CO2e|CO₂e|photons|quanta)[ \u00a0](?=[A-Za-zµμ]+(?:[-−⁻^]|\*\*)?[-−⁻]?[1-4¹²³⁴]\b)")
MASS_CODES_RE = re.compile(r"[kMGTPmµnpf]?g|[kMG]?t|[kmµnp]?mol")
# Symbols written in two words, read as the one symbol of the table ("12 mm Hg").
SPACED_SYMBOLS = {"mm Hg": "mmHg", "mol %": "mol%", "wt %": "wt%", "vol %": "vol%", "at %": "at%",
                  "wt. %": "wt.%", "at. %": "at.%"}
SPACED_SYMBOL_RE = re.compile("|".join(re.escape(k) for k in SPACED_SYMBOLS) + r"(?![A-Za-z\d%])")
# Symbols that multiply the one before with only a space between ("45 N m", "1.0 mPa s", "2 Ω m", "20 µΩ cm").
SPACED_FACTORS = {"m", "s", "h", "cm"}
# Joins between the symbols of a compound: a product dot or star, a slash, or a space before a
# symbol that carries an exponent ("W m−2", "J mol−1 K−1").
JOIN_RE = re.compile(r"[ \u00a0\u2009\u202f]?(?P<op>/|[·⋅∙*])[ \u00a0\u2009\u202f]?|(?P<space>[ \u00a0\u2009\u202f])")


class UnitContext:
    """What the sentence and document say about unit symbols: technical text, and talk of money.

    Each is worked out on first use only (most sentences never ask), from the sentence and, for
    technical text, the `document` callable saying whether the document as a whole reads so.
    """

    __slots__ = ("_technical", "_money", "_sentence", "_table", "_document")

    def __init__(self, technical: bool | None = None, money: bool | None = None, sentence: str = "",
                 table: dict[str, str] | None = None, document: Callable[[], bool] | None = None):
        self._technical, self._money = technical, money
        self._sentence, self._table, self._document = sentence, table or {}, document

    @property
    def technical(self) -> bool:
        """True when the sentence or its document reads as technical text."""
        if self._technical is None:
            self._technical = bool(self._document and self._document()) or is_technical(self._sentence, self._table)
        return self._technical

    @property
    def money(self) -> bool:
        """True when the sentence speaks of money (short scale letters are scales there)."""
        if self._money is None:
            self._money = bool(MONEY_RE.search(self._sentence))
        return self._money

    @property
    def symbols(self) -> bool:
        """True when a technical-only symbol after a number is read as a unit."""
        return self.technical and not self.money


NEWS = UnitContext(technical=False, money=False)
TECHNICAL = UnitContext(technical=True, money=False)


def _exponent(text: str | None) -> float:
    """The power an exponent suffix writes ("−1", "^-2", "²", "⁻¹", "^1/2"), 1 when none."""
    if not text:
        return 1
    text = text.lstrip("^*({").rstrip(")}").translate(_SUPER).replace("−", "-")
    if HALF_RE.search(text):
        return -0.5 if text.startswith("-") else 0.5
    return int(text)


def _code(num: list[tuple[str, float]], den: list[tuple[str, float]]) -> str:
    """Compose a compound code the way the unit tables write it ("mW/m2", "W*h", "J/mol/K")."""
    def part(code: str, power: float) -> str:
        return code if power == 1 else f"{code}{power}"
    head = "*".join(part(c, p) for c, p in num) or "1"
    return head + "".join("/" + part(c, p) for c, p in den)


def read_symbols(text: str, pos: int, s1: int, table: dict[str, str], ctx: UnitContext) -> tuple[str, int, int]:
    """The symbol unit at pos (code, end offset, number of symbols), or ("", pos, 0).

    A compound ("m s−1", "kg/m3") or a symbol with an exponent is read in any context; a single
    technical-only symbol only when `ctx.symbols`.
    """
    start = _SEP0_RE.match(text, pos, s1).end()  # type: ignore[union-attr]
    spaced = SPACED_SYMBOL_RE.match(text, start, s1)
    if spaced:
        return table[SPACED_SYMBOLS[spaced.group()]], spaced.end(), 1
    term = TERM_RE.match(text, start, s1)
    if not term or term.group("sym") not in table:
        return "", pos, 0
    num: list[tuple[str, float]] = []
    den: list[tuple[str, float]] = []
    terms = 0
    marked = False
    end = start
    invert = False
    while term and term.group("sym") in table:
        power = _exponent(term.group("exp"))
        marked = marked or term.group("exp") is not None
        code = table[term.group("sym")]
        if invert:
            power = -power
        (num if power > 0 else den).append((code, abs(power)))
        terms += 1
        end = term.end()
        join = JOIN_RE.match(text, end, s1)
        if not join:
            break
        carrier = CARRIER_RE.match(text, join.end(), s1) if join.group("space") and terms == 1 and MASS_CODES_RE.fullmatch(code) else None
        term = TERM_RE.match(text, carrier.end() if carrier else join.end(), s1)
        if not term or term.group("sym") not in table:
            break
        if join.group("space") and term.group("exp") is None and term.group("sym") not in SPACED_FACTORS:
            break  # "3 m in": a following word, not a product of units
        invert = join.group("op") == "/"
    if terms == 1 and (text[start:end] in COMPOUND_ONLY or (
            not marked and technical_only(text[start:end]) and not ctx.symbols)):
        return "", pos, 0
    return _code(num, den), end, terms


# ---------------------------------------------------------------- what kind of text a sentence is

# A number followed by a symbol, for telling technical text (the symbol is looked up in the table).
NUMBER_SYMBOL_RE = re.compile(r"\d[ \u00a0\u2009\u202f-]?([A-Za-zµμΩÅ‰°º]+(?:[-−⁻^]?\d)?)(?![A-Za-z])")
TECHNICAL_MARK_RE = re.compile(
    r"±|\d\s?[×x]\s?10(?:\^|\*\*|[-−⁻⁰¹²³⁴⁵⁶⁷⁸⁹])|\d[eE][-+−]?\d|[A-Za-zµμ][−⁻]\d|\d\(\d\)"
    r"|\b(?:temperatures?|kelvin|cooled|heated|annealed|sintered|wavelengths?|spectr(?:um|a|oscopy)|voltages?|"
    r"vacuum|specimens?|substrates?|concentrations?|incubated|centrifuged|diluted|dilution|buffer|reactor|laser|"
    r"detector|electrodes?|magnetic|lattice|thermal|viscosity|densit(?:y|ies)|velocit(?:y|ies)|acceleration|"
    r"frequenc(?:y|ies)|resistance|altitude|elevation|isotopes?|enzymes?|protein|molar|plasma|irradiated|"
    r"cryostat|pressures?|photons?|electrons?|neutrons?|nuclei|nucleus|beam|pulses?|thickness|diameter|"
    r"conductivity|sensors?|samples?|measured|calibrated|rpm|solutions?|molarity|aqueous|"
    r"cohorts?|randomi[sz]ed|placebo|participants|incidence|(?:sero)?prevalence|hazard\s+ratios?|odds\s+ratios?|"
    r"confidence\s+intervals?|follow-up|dosing|doses|infusion|intravenous(?:ly)?|subcutaneous(?:ly)?|"
    r"magneti[sz]ation|spectrometr\w*|chromatograph\w*|assays?|in\s+vitro|in\s+vivo)\b",
    re.I,
)
MONEY_RE = re.compile(
    r"[$€£¥₹₩]|\b(?:USD|EUR|GBP|JPY|CNY|RMB)\b|\b(?:dollars?|euros?|pounds|yen|yuan|rupees?|funding|revenues?|sales|"
    r"profits?|budget|loans?|debt|invest(?:ed|ment|ments|ors?)?|raised|raises|valuation|valued|shares|prices?|"
    r"costs?|paid|spent|spending|turnover|earnings|income|worth|capital|fines?|salary|salaries|deal|contract)\b",
    re.I,
)


def is_technical(sentence: str, table: dict[str, str]) -> bool:
    """True when the sentence writes like technical text: an SI symbol after a number, a tolerance,
    scientific notation, a unit exponent, or the vocabulary of measurement."""
    if _technical_marks(sentence):
        return True
    for m in NUMBER_SYMBOL_RE.finditer(sentence):
        sym = m.group(1).rstrip("0123456789").rstrip("-−⁻^")
        if sym in table and not technical_only(sym) and sym not in NEWS_SYMBOLS:
            return True
    return False


# Cached: the sentences of a document's opening are read once to tell whether the document is
# technical and again, one by one, when the document is not; the search is the costly part.
@functools.lru_cache(maxsize=512)
def _technical_marks(sentence: str) -> bool:
    """True when the sentence has a tolerance, scientific notation, a unit exponent or the vocabulary of measurement."""
    return bool(TECHNICAL_MARK_RE.search(sentence))
