"""Time expressions: explicit and relative periods, plus dates and clock times to mask."""
from __future__ import annotations

import calendar
import datetime as dt
import re
from typing import NamedTuple

from .numbers import ORDINAL_WORDS, SMALL
from .units import ABBREV_UNIT_RE, WORD_UNIT_RE

MONTHS = {
    "january": 1, "february": 2, "march": 3, "april": 4, "may": 5, "june": 6, "july": 7,
    "august": 8, "september": 9, "october": 10, "november": 11, "december": 12,
    "jan": 1, "feb": 2, "mar": 3, "apr": 4, "jun": 6, "jul": 7, "aug": 8, "sep": 9,
    "sept": 9, "oct": 10, "nov": 11, "dec": 12,
}
# Start years of China's Five-Year Plans (the 1963-65 adjustment period breaks the arithmetic).
FYP_START = {1: 1953, 2: 1958}
FYP_START |= {n: 1966 + 5 * (n - 3) for n in range(3, 20)}

_M = r"(?:January|February|March|April|May|June|July|August|September|October|November|December|Jan\.?|Feb\.?|Mar\.?|Apr\.?|Jun\.?|Jul\.?|Aug\.?|Sept?\.?|Oct\.?|Nov\.?|Dec\.?)(?!\w)"  # a whole word: "20 decently", "3 mayors" are no dates
_Y = r"(?:1[6-9]\d\d|20\d\d|21\d\d)(?![\d,.]\d|\w)"
_REL = r"(?:this|last|next|the\s+previous|the\s+current|the\s+same|the\s+past)\s+year"
_YREF = rf"(?:{_Y}|{_REL})"
_ORD = r"(?:\d{1,2}(?:st|nd|rd|th)|" + "|".join(ORDINAL_WORDS) + ")"
_CNT = r"(?:\d{1,2}|" + "|".join(SMALL) + ")"
FUNCTION_WORDS = {
    "the", "a", "an", "and", "or", "to", "in", "on", "at", "by", "for", "of", "with", "was",
    "were", "is", "are", "when", "while", "that", "which", "as", "after", "before", "it",
    "its", "but", "from", "through", "until", "had", "has", "have", "he", "she", "they", "we",
    "compared", "versus", "vs", "than", "respectively", "this", "there", "saw", "marked",
}

# Words that can open a time expression (checked before trying the alternatives).
_OPENERS = r"(?:the|end|by|from|between|since|over|in|during|this|last|next|[QH][1-4]|jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec|" + "|".join(ORDINAL_WORDS) + r")"
# Every alternative starts a word (or an opening quote); the leading guard rejects positions inside a
# word before any alternative is tried, which is most of the scan.
PERIOD_RE = re.compile(
    rf"""
    (?:(?<!\w)(?=\d|{_OPENERS})|(?=["“]))
    (?:(?P<iso>\b\d{{4}}-\d\d-\d\d(?:T[\d:.]+Z?)?)
  | (?P<fyp>(?:(?P<fyp_end>(?:the\s+)?end\s+of\s+(?:the\s+)?)|(?:the\s+)?)["“]?(?P<fyp_n>{_ORD})\s*Five[-\s]Year["”]?(?:\s+(?:Plan|period))?)
  | (?P<part>(?:the\s+)?(?P<part_ord>first|second|third|fourth|1st|2nd|3rd|4th|last)\s+(?P<part_kind>quarter|half)\s+of\s+(?P<part_y>{_YREF}))
  | (?P<qtr>\b(?P<qtr_k>[QH])(?P<qtr_n>[1-4])\s+(?P<qtr_y>{_Y}))
  | (?P<months>(?:the\s+)?first\s+(?P<months_n>{_CNT})\s+months\s+of\s+(?P<months_y>{_YREF}))
  | (?P<mrange>\b(?:from\s+)?(?P<mr_a>{_M})\s*(?:to|-|–|through|until)\s*(?P<mr_b>{_M})(?:\s*,?\s+(?:of\s+)?(?P<mr_y>{_YREF}))?)
  | (?P<yshort>\b(?P<ys_a>{_Y})[-–/](?P<ys_b>\d\d)(?![\d%]|\s*(?:per|percent)\b))
  | (?P<yrange>\b(?:(?P<yr_kw>from|between)\s+)?(?P<yr_a>{_Y})\s*(?:to|-|–|and|through|until)\s*(?P<yr_b>{_Y}))
  | (?P<date>\b(?P<date_m>{_M})\s+(?P<date_d>\d{{1,2}})(?:st|nd|rd|th)?(?:\s*(?:to|-|–)\s*\d{{1,2}})?(?!\d)(?:,?\s+(?P<date_y>{_Y}))?|\b(?P<date_d2>\d{{1,2}})\s+(?P<date_m2>{_M})(?:,?\s+(?P<date_y2>{_Y}))?)
  | (?P<endof>(?:by\s+)?(?:the\s+)?end\s+of\s+(?:(?P<end_m>{_M})(?:\s*,?\s+(?:of\s+)?(?P<end_my>{_YREF}))?|(?P<end_y>{_YREF})))
  | (?P<monthy>\b(?P<my_m>{_M})\s*,?\s+(?:of\s+)?(?P<my_y>{_YREF}))
  | (?P<since>\bsince\s+(?:(?P<since_m>{_M})\s+)?(?P<since_y>{_Y}))
  | (?P<by>\bby\s+(?P<by_y>{_Y}))
  | (?P<ylist>(?P<yl_a>{_Y})\s*(?:,\s*{_Y}\s*)*,?\s*and\s+(?P<yl_b>{_Y}))
  | (?P<ydec>(?<![\w$€£¥.,])(?P<yd_y>(?:1[6-9]|20|21)\d\d)['’]?s\b)
  | (?P<year>(?<![\w$€£¥.,])(?P<year_y>{_Y}))
  | (?P<rel>\b{_REL}|\b(?:over\s+)?the\s+(?:past|last)\s+(?P<rel_n>{_CNT}\s+)?(?P<rel_u>decade|years))
  | (?P<inmonth>\b(?:in|since|during)\s+(?P<im_m>January|February|March|April|May|June|July|August|September|October|November|December)\b(?:\s*,?\s+(?:of\s+)?(?P<im_y>{_YREF}))?)
  | (?P<clock>\b\d{{1,2}}(?::\d\d)+(?:\.\d+)?(?:\s*[ap]\.?m\.?)?|\b(?:1[0-2]|0?\d)(?:\.\d\d)?\s*[ap]\.?m\.?(?![\w/⁻−^])|\b\d{{4}}-\d\d-\d\d(?:T[\d:.]+Z?)?))
    """,
    re.I | re.X,
)
# After a bare four-digit number these make it a quantity ("2000 people"), not a year.
_AFTER_YEAR_RE = re.compile(r"[ \t]*(%|[A-Za-z][\w-]*)")
_YEAR_CUE_RE = re.compile(r"\b(?:in|since|by|during|from|until|till|before|after|through|early|late|mid|fiscal|FY|year)\s+$", re.I)
# A year-like number dated by a year right after it is a value of that year ("measured at 2010 in 2012").
_DATED_BY_YEAR_RE = re.compile(r"\s*,?\s*(?:in|as\s+of|for|during)\s+(?:the\s+year\s+)?(?:1[6-9]|20|21)\d\d\b", re.I)
_RANGE_ON_RE = re.compile(r"\s*[-–]\s*(?!(?:1[6-9]|20|21)\d\d)\d+(?:\.\d+)?\s*(?:%|[A-Za-z])")
_PLURAL_NOUNS = {"people", "staff", "personnel", "police", "children", "men", "women", "cattle", "sheep", "fish",
                 "yuan", "yen", "won", "rupees", "euros", "dollars"}


class Period(NamedTuple):
    """A time expression found in a sentence."""

    start: int
    end: int
    begin: dt.date | None
    finish: dt.date | None
    role: str  # "point", "since", "by_end", "by", "list", "mask"
    years: tuple[int, ...] = ()


def _year_bounds(y: int) -> tuple[dt.date, dt.date]:
    """First and last day of a year."""
    return dt.date(y, 1, 1), dt.date(y, 12, 31)


def _month_end(y: int, m: int) -> dt.date:
    """Last day of a month."""
    return dt.date(y, m, calendar.monthrange(y, m)[1])


def _resolve_year(text: str, published: dt.date | None) -> int | None:
    """Year number of "2023", "this year", "last year" (relative to the published date)."""
    low = " ".join(text.lower().split())
    if low[:1].isdigit():
        return int(low[:4])
    if published is None:
        return None
    if low.startswith(("last", "the previous", "the past")):
        return published.year - 1
    if low.startswith("next"):
        return published.year + 1
    return published.year


def _month_year(month: int, published: dt.date | None) -> int | None:
    """Year of a month named without a year: the latest such month not after publication."""
    if published is None:
        return None
    return published.year if month <= published.month else published.year - 1


def _ord_value(text: str) -> int:
    """Integer of "14th" or "fourteenth"."""
    low = text.lower()
    return int(low[:-2]) if low[0].isdigit() else ORDINAL_WORDS[low]


def _count_value(text: str) -> int:
    """Integer of "9" or "nine"."""
    low = text.strip().lower()
    return int(low) if low.isdigit() else SMALL[low]


def _is_quantity_not_year(text: str, start: int, end: int) -> bool:
    """True when a bare year-like number counts something: a unit, a plural noun or a range follows
    ("2000 people", "1500 km", "2000 - 2500 calories") or another year dates it ("at 2010 in 2012");
    "the 1995 proposal", "2019 will" stay years."""
    if _YEAR_CUE_RE.search(text, max(0, start - 12), start):
        return False
    if _RANGE_ON_RE.match(text, end) or _DATED_BY_YEAR_RE.match(text, end):
        return True
    m = _AFTER_YEAR_RE.match(text, end)
    if not m:
        return False
    word = m.group(1)
    if word == "%" or WORD_UNIT_RE.match(text, end) or ABBREV_UNIT_RE.match(text, end):
        return True
    low = word.lower()
    if not word[0].islower() or low in FUNCTION_WORDS:
        return False
    return low in _PLURAL_NOUNS or (len(low) > 3 and low.endswith("s") and not low.endswith(("ss", "us", "is", "ous")))


def find_periods(text: str, start: int, end: int, published: dt.date | None) -> list[Period]:
    """All time expressions in text[start:end], each resolved to dates where possible."""
    out: list[Period] = []
    for m in PERIOD_RE.finditer(text, start, end):
        g = m.groupdict()
        s, e = m.span()
        if g["fyp"]:
            n = _ord_value(g["fyp_n"])
            y0 = FYP_START.get(n)
            if y0 is None:
                out.append(Period(s, e, None, None, "mask"))
            elif g["fyp_end"]:
                out.append(Period(s, e, *_year_bounds(y0 + 4), "point"))
            else:
                out.append(Period(s, e, dt.date(y0, 1, 1), dt.date(y0 + 4, 12, 31), "point"))
        elif g["part"]:
            y = _resolve_year(g["part_y"], published)
            k = g["part_ord"].lower()
            idx = {"first": 1, "1st": 1, "second": 2, "2nd": 2, "third": 3, "3rd": 3, "fourth": 4, "4th": 4, "last": 4}[k]
            if g["part_kind"].lower() == "half":
                idx = min(idx, 2) if k != "last" else 2
                span = (6 * idx - 5, 6 * idx)
            else:
                span = (3 * idx - 2, 3 * idx)
            out.append(_months(s, e, y, *span))
        elif g["qtr"]:
            y, n = int(g["qtr_y"]), int(g["qtr_n"])
            span = (3 * n - 2, 3 * n) if g["qtr_k"].upper() == "Q" else (6 * min(n, 2) - 5, 6 * min(n, 2))
            out.append(_months(s, e, y, *span))
        elif g["months"]:
            y = _resolve_year(g["months_y"], published)
            out.append(_months(s, e, y, 1, min(12, _count_value(g["months_n"]))))
        elif g["mrange"]:
            a, b = MONTHS[g["mr_a"].lower().rstrip(".")], MONTHS[g["mr_b"].lower().rstrip(".")]
            y = _resolve_year(g["mr_y"], published) if g["mr_y"] else _month_year(b, published)
            out.append(_months(s, e, y, a, b) if a <= b else Period(s, e, None, None, "mask"))
        elif g["yrange"]:
            a, b = int(g["yr_a"]), int(g["yr_b"])
            if a < b and (g["yr_kw"] or not re.search(r"\band\b", m.group(), re.I)):
                out.append(Period(s, e, dt.date(a, 1, 1), dt.date(b, 12, 31), "point"))
            else:
                out.append(Period(s, e, dt.date(min(a, b), 1, 1), dt.date(max(a, b), 12, 31), "list", (a, b)))
        elif g["date"]:
            month = MONTHS[(g["date_m"] or g["date_m2"]).lower().rstrip(".")]
            day = int(g["date_d"] or g["date_d2"])
            ytxt = g["date_y"] or g["date_y2"]
            y = int(ytxt) if ytxt else _month_year(month, published)
            out.append(_day(s, e, y, month, day))
        elif g["endof"]:
            if g["end_m"]:
                month = MONTHS[g["end_m"].lower().rstrip(".")]
                y = _resolve_year(g["end_my"], published) if g["end_my"] else _month_year(month, published)
                p = _months(s, e, y, month, month)
            else:
                y = _resolve_year(g["end_y"], published)
                p = _months(s, e, y, 12, 12)
            out.append(p._replace(role="by_end"))
        elif g["monthy"]:
            month = MONTHS[g["my_m"].lower().rstrip(".")]
            out.append(_months(s, e, _resolve_year(g["my_y"], published), month, month))
        elif g["since"]:
            y = int(g["since_y"])
            month = MONTHS[g["since_m"].lower().rstrip(".")] if g["since_m"] else 1
            out.append(Period(s, e, dt.date(y, month, 1), None, "since"))
        elif g["by"]:
            out.append(Period(s, e, *_year_bounds(int(g["by_y"])), "by"))
        elif g["ylist"]:
            years = tuple(int(y) for y in re.findall(_Y, m.group()))
            out.append(Period(s, e, dt.date(min(years), 1, 1), dt.date(max(years), 12, 31), "list", years))
        elif g["yshort"]:
            a = int(g["ys_a"])
            b = a // 100 * 100 + int(g["ys_b"])
            if b > a:
                out.append(Period(s, e, dt.date(a, 1, 1), dt.date(b, 12, 31), "point"))
            else:
                out.append(Period(s, e, None, None, "mask"))
        elif g["ydec"]:
            y = int(g["yd_y"])
            if y % 10 == 0:
                out.append(Period(s, e, dt.date(y, 1, 1), dt.date(y + 9, 12, 31), "point"))
            else:
                out.append(Period(s, e, *_year_bounds(y), "point"))
        elif g["year"]:
            if _is_quantity_not_year(text, s, e):
                continue
            out.append(Period(s, e, *_year_bounds(int(g["year_y"])), "point"))
        elif g["rel"]:
            if g["rel_u"]:
                n = _count_value(g["rel_n"]) if g["rel_n"] else 1
                n = n * 10 if g["rel_u"].lower() == "decade" else n
                if published is None:
                    out.append(Period(s, e, None, None, "mask"))
                else:
                    out.append(Period(s, e, dt.date(published.year - n, 1, 1), published, "point"))
            else:
                y = _resolve_year(m.group(), published)
                out.append(Period(s, e, *_year_bounds(y), "point") if y else Period(s, e, None, None, "mask"))
        elif g["inmonth"]:
            month = MONTHS[g["im_m"].lower()]
            y = _resolve_year(g["im_y"], published) if g["im_y"] else _month_year(month, published)
            out.append(_months(s, e, y, month, month))
        else:
            out.append(Period(s, e, None, None, "mask"))
    return out


def _months(s: int, e: int, y: int | None, m0: int, m1: int) -> Period:
    """Period covering months m0..m1 of year y (unresolved when y is unknown)."""
    if y is None:
        return Period(s, e, None, None, "point")
    return Period(s, e, dt.date(y, m0, 1), _month_end(y, m1), "point")


def _day(s: int, e: int, y: int | None, m: int, d: int) -> Period:
    """Period of a single calendar day, or a mask when the date is impossible."""
    try:
        return Period(s, e, dt.date(y, m, d), dt.date(y, m, d), "point") if y else Period(s, e, None, None, "mask")
    except ValueError:
        return Period(s, e, None, None, "mask")
