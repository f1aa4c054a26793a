"""Where the article sits in a pasted whole page: its headline line and its body's span.

A page copied whole puts the article among menus, banners, rails, comments and footers,
in any order. The article is the page's densest run of prose: each line scores its
length when it reads as a sentence and a small loss when it does not (menu items,
labels, buttons), so short interruptions inside the story (subheadings, captions,
quotes) stay in the run, while a stretch of furniture or one section-ending line
("Most popular", a comment thread's head) parts it. The best-scoring run is found in
one pass (maximum-sum subarray), so the time is linear in the number of lines. The
headline is then the title-shaped line just above the run's header block (kicker,
standfirst, byline, date, reading time, lead photo).

Lengths are counted in words for scripts written with spaces and in characters for
Chinese, Japanese and Thai (two characters counting as one word).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

_UNSPACED = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\u0e00-\u0e7f\uac00-\ud7af]")
_CHARS_PER_WORD = 2
# A sentence ends in one of these (a colon introducing a quote or a list), perhaps
# inside closing quotes or brackets or before an emoji; in Chinese and Japanese, perhaps
# before a short note in brackets (a translator's credit: "...發表在《自然》上。（編譯/林靖東）").
_SENTENCE_END = re.compile(r"[.!?…。！？:：]\W*$")
_NOTE_END = re.compile(r"[。！？]\W*（[^（）]{1,40}）\W*$")
# A table's row pasted as a line: a label and three or more numbers.
_TABLE_ROW = re.compile(r"^\S.*?(?:\s[-+]?[\d.,:%]+[%]?){3,}$")
_CASED_WORD = re.compile(r"^[\"'“‘(]?([^\W\d_])")
_CUT_SHORT = ("...", "…")  # a teaser's summary cut short, not a sentence of the story
_PROSE_MIN_WORDS = 8  # a sentence of this length is prose
_PROSE_OFFSET = 4.0  # a sentence this short proves little: rails hold them too
_RUN_ON_MIN_WORDS = 20  # a line this long is prose even without an end mark
# Chinese and Japanese prose ends its sentences with a mark; a line of theirs without one
# is a headline or a teaser (with its source and time), however long, up to this length.
_RUN_ON_UNSPACED_MIN_WORDS = 60
# Three bars or bullets between short parts: a list of links pasted as one line.
_LINK_LIST = re.compile(r"(?:\s[|•·]\s+\S[^|•·]{0,60}){3}")
_LINK_BARS = 3
# A line of program code in a tutorial: a statement's end, a block's brace, a comment or
# a markup tag. Neither proves nor breaks a run of prose, as a list's item does not.
_CODE_START = re.compile(r"//|/\*|#include\b|</?[a-zA-Z][\w-]*[\s>/]")
_CODE_ENDS = ("{", "}", ";")
# A program's output table drawn with box lines (a database shell's "id │ name", its
# "───┼───" rule): the tutorial's data, as its code is.
_BOX_DRAWING = re.compile(r"[\u2500-\u257f]")
_TITLE_WORDS_READ = 40  # enough of a line to tell a headline's capitals from a sentence's
_TITLE_CHARS_READ = 200  # enough of a line to tell its script
_TITLE_CASE_SHARE = 0.7  # headline lists capitalise most words; sentences do not
_SHORT_LOSS = -3.0  # a line that is not prose: a menu item, a label
_FURNITURE_LOSS = -1.0  # known furniture (share buttons, ad labels) stands inside stories too
# A table's row (a label and three numbers) is a story's data, a results table or a
# price list: a long table is as much the page's content as a paragraph.
_TABLE_ROW_GAIN = 1.0
_META_LOSS = -1.0  # bylines, dates, captions and a quote's "— Name" belong in the article
_ATTRIBUTION = re.compile(r"^[—–]\s*\S")
_ROUGH_ENDS = frozenset(".!?…。！？:：\"”’)」』")
_ROUGH_SPACED_MIN_WORDS = 3  # fewer spaces than this: perhaps a script written without
# Eight one-letter words and their spaces, or eight pairs of unspaced characters: no
# shorter line scores as prose.
_ROUGH_MIN_CHARS = 2 * _PROSE_MIN_WORDS - 1
_WRAP_MIN_CHARS = 40  # e-mail and plain-text tools wrap at 60 to 80 characters
_PROMO_MAX_LINES = 4  # a promo's label and its few headlines
_TRAILING_LINES = 3  # how far past its last long line a story's short last lines may reach
_STOP_LOSS = -25.0 # a section-ending line: "Most popular", a comment thread's head
# A time said relative to now ("2 hours ago"): under a byline, or a comment's name.
RELATIVE_TIMES = (
    r"(?:(?:updated|published|posted)\s*:?\s*)?(?:(?:\d{1,3}|an?) "
    r"(?:min(?:ute)?s?|hours?|hrs?|days?|weeks?) ago|just now|yesterday|today)",
    r"vor (?:\d{1,3}|einer?) (?:minuten?|stunden?|tag(?:en)?|wochen?)",
    r"il y a (?:\d{1,3}|une?) (?:minutes?|heures?|jours?|semaines?)",
    r"hace (?:\d{1,3}|una?) (?:minutos?|horas?|d[ií]as?|semanas?)",
    r"\d{1,3} ?(?:分|時間|日|小時|小时|天)前")
_RELATIVE_TIME = re.compile("|".join(RELATIVE_TIMES), re.I)
_TIME_OF_DAY = re.compile(r"\b\d{1,2}[:.]\d{2}\b")
# A clock time opening a line: a live blog's entry ("15:20", "3.20pm BST") or a link to
# one in its "Key events" list; never a headline's first word.
CLOCK_TIME = r"\d{1,2}[:.h]\d{2}(?:\s*[ap]\.?m\.?)?(?:\s+[A-Z]{2,4})?"
_CLOCK_START = re.compile(CLOCK_TIME + r"(?:\s|$)", re.I)
_ENTRIES_MIN = 2  # a live blog has entries; one time over the story is its dateline
_COMMENTER_MAX_WORDS = 3  # a commenter's name or handle; a live blog's entry has a headline
_COMMENTS_MIN = 2
_PROSE_ABOVE_COMMENTS = 20.0  # a paragraph's score: a story, not a teaser, stands above
# Lines the header block may hold between the headline and the first paragraph.
# Kinds of line that end the article's part of the page: a section's head, a promo's
# label (unless the story goes on under it), a comment form.
ENDS = ("stop", "tail", "promo", "comments")
_HEADER_KINDS = frozenset({"meta", "stamp", "furniture", "figure", "image_source", "image_caption"})
_HEADER_MAX_LINES = 12
_STANDFIRST_MAX_LINES = 2
_TITLE_MAX_WORDS = 40
_SEPARATOR_ENDS = ("—", "–", " -", "›", "»", ">", "|", "/")  # a kicker's or a breadcrumb's last mark
_HEADLINE_ENDS = ("?", "!", "？", "！")
_BY_WORDS = frozenset({"by", "par", "por", "von", "di", "door"})
# A writer's name and their social handle: "Jane Doe @janedoe / 2 days".
_NAME_AND_HANDLE = re.compile(r"(?:[A-Z][\w'’.-]*\s+){1,3}@\w{2,30}\b")
# The label a byline may stand under: "Authors: Jane Doe", "Autori: Anna Ūdre", "Autor: Hans Müller".
_AUTHOR_LABEL = re.compile(r"(?:authors?|autor(?:es|en|i|ka|zy|as)?|auteurs?|autore|autrice|written by|"
                           r"text|texto|tekst)\s*:\s*", re.I)
# A Chinese or Japanese wire dateline or source line on a line of its own: "港湾日报 6月19日报道",
# "北京10月14日电", "港町新聞 3/9(木) 18:45配信".
_CJK_DATELINE = re.compile(r"(?:\d{1,2}\s*月\s*\d{1,2}\s*日\s*(?:电|電|讯|訊|报道|報道|消息)|\d{1,2}:\d{2}\s*配信)\W*$")
# A path of short parts between slashes: a breadcrumb ("Quay Daily / News"), a footer's
# links; never a headline. A colon or a bracket makes a credit ("Photo: Jane Doe / Agency").
_PATH = re.compile(r"(?:[^/\s:(][^/:(]{0,30}\s/\s){1,6}[^/:(]{1,60}")
_TEASERS_MIN = 2
_TEASER_HEAD_LINES = 2
_STANDFIRST_MIN_WORDS = 8
_HEADLINE_MIN_WORDS = 4  # shorter lines above a standfirst are menu items or kickers
# A headline stands over a two-word line with at most this many lines of text between
# (a caption, a label); a longer line over more of them is a menu's item.
_SHORT_LINES_OVER_MENU = 2
_FIELD_LABEL_MAX_WORDS = 3  # "Filed to:", "Tags:" and the tag under them
# How far under a byline or date line a line taken for the headline may stand before a
# headline over that byline is preferred, and how far over it that headline may be.
_LINES_UNDER_BYLINE = 3


@dataclass(frozen=True)
class Frame:
    """The article's place in the paste: its headline line (None when the page shows
    none) and the first and last lines of its body, as indices into the lines."""

    title: int | None
    start: int
    end: int


def words(text: str) -> float:
    """The line's length in words, two characters of an unspaced script making one."""
    unspaced = len(_UNSPACED.findall(text))
    if not unspaced:
        return float(len(text.split()))
    return len(_UNSPACED.sub(" ", text).split()) + unspaced / _CHARS_PER_WORD


def is_sentence(text: str) -> bool:
    """Ends like a sentence."""
    return bool(_SENTENCE_END.search(text) or (text.endswith("）") and _NOTE_END.search(text)))


def is_table_row(text: str) -> bool:
    """A table's row pasted as a line: a label and three or more numbers."""
    return bool(_TABLE_ROW.match(text))


def is_code(text: str) -> bool:
    """A line of program code or of its output: a statement's end, a block's brace, a
    comment, a tag, a table drawn with box lines."""
    return text.endswith(_CODE_ENDS) or bool(_CODE_START.match(text) or _BOX_DRAWING.search(text))


def is_link_list(text: str) -> bool:
    """Three or more bars or bullets between short parts: links pasted as one line."""
    bars = text.count("|") + text.count("•") + text.count("·")
    return bars >= _LINK_BARS and bool(_LINK_LIST.search(text))


def is_unspaced(text: str) -> bool:
    """Written mostly in a script without spaces between words (Chinese, Japanese, Thai)."""
    return 2 * len(_UNSPACED.findall(text)) > len(text)


def is_title_case(text: str) -> bool:
    """Most words after the first start with a capital: a headline or a menu, not prose
    (a name in Latin letters inside a Chinese or Japanese sentence proves nothing)."""
    if is_unspaced(text[:_TITLE_CHARS_READ]):
        return False
    initials = [m.group(1) for m in map(_CASED_WORD.match, text.split(None, _TITLE_WORDS_READ)[1:-1]) if m]
    cased = [c for c in initials if c.lower() != c.upper()]
    return len(cased) >= 3 and sum(c.isupper() for c in cased) >= _TITLE_CASE_SHARE * len(cased)


def is_prose(text: str) -> bool:
    """A line of running text: a long enough sentence, or a long line in any shape,
    but not a list of capitalised headline words nor of links."""
    length = words(text)
    if (length < _PROSE_MIN_WORDS or is_title_case(text) or text.endswith(_CUT_SHORT)
            or is_link_list(text)):
        return False
    if is_sentence(text):
        return True
    return length >= (_RUN_ON_UNSPACED_MIN_WORDS if is_unspaced(text) else _RUN_ON_MIN_WORDS)


def score(kind: str, text: str) -> float:
    """What a line adds to the run of prose it stands in: its length when it is prose,
    a loss when it is furniture, a large loss when it ends a page section."""
    if kind in ENDS:
        return _STOP_LOSS
    if kind in ("meta", "stamp", "figure", "image_source", "image_caption") or _ATTRIBUTION.match(text):
        return _META_LOSS
    if kind == "furniture":
        return _FURNITURE_LOSS
    if is_prose(text):
        return words(text) - _PROSE_OFFSET
    if is_table_row(text):
        return _TABLE_ROW_GAIN
    if kind in ("bullet", "numbered") or is_code(text):
        return 0.0  # a list's item stands in stories as often as in menus
    if is_sentence(text) and words(text) >= 3:
        return 0.0  # a short sentence: neither proves nor breaks a run
    return _SHORT_LOSS


def rough_score(text: str, goes_on: bool = False) -> float:
    """A line's score from its length and last character alone (or from its length
    alone when it `goes_on` in the next line): cheap enough for every line of a paste
    of megabytes, to find where the article is before reading it."""
    length = text.count(" ") + 1
    if length < _ROUGH_SPACED_MIN_WORDS:
        length = max(length, len(text) // _CHARS_PER_WORD)
    ends = goes_on or text[-1] in _ROUGH_ENDS
    return length - _PROSE_OFFSET if length >= _PROSE_MIN_WORDS and ends else _SHORT_LOSS


def may_wrap(line: str) -> bool:
    """Long and stopping mid-sentence: a hard-wrapped paragraph's line when the next
    line goes on in lower case."""
    return len(line) >= _WRAP_MIN_CHARS and not is_sentence(line)


def rough_run(raw: Sequence[str]) -> tuple[int, int] | None:
    """First and last index of the densest run of prose among raw pasted lines (blank,
    hard-wrapped, spaces uncollapsed), or None. Only the lines long enough to be prose
    are scored; the lines between two of them cost a label's loss each, counted from
    their indices, so the time is that of a length test per line."""
    scores: list[float] = []
    places: list[int] = []  # the line each score stands for (a gap: its last line)
    known: dict[tuple[str, bool], float] = {}  # menus repeat: score each long line once
    previous = -1
    for i in [i for i, line in enumerate(raw) if len(line) >= _ROUGH_MIN_CHARS]:
        if i > previous + 1:
            scores.append(_SHORT_LOSS * (i - previous - 1))
            places.append(i - 1)
        key = (raw[i], i + 1 < len(raw) and raw[i + 1][:1].islower())
        if key not in known:
            clean = " ".join(key[0].split())
            known[key] = rough_score(clean, goes_on=key[1] and may_wrap(clean))
        scores.append(known[key])
        places.append(i)
        previous = i
    run = densest_run(scores)
    return (places[run[0]], places[run[1]]) if run else None


def locate(kinds: Sequence[str], texts: Sequence[str]) -> Frame | None:
    """The article's frame, or None when no line of the paste reads as prose."""
    known: dict[tuple[str, str], float] = {}  # menus repeat: score each line once
    scores = [known[key] if key in known else known.setdefault(key, score(*key))
              for key in zip(kinds, texts)]
    _soften_promos(kinds, scores)
    run = densest_run(scores[:_comments_start(kinds, scores)])
    if run is None:
        return None
    start, end = run
    end = _before_comments(kinds, texts, scores, start, _before_teasers(kinds, texts, scores, start, end))
    start = _first_entry(kinds, texts, start, end)
    if _opens_with_headline(kinds, texts, scores, start, end):
        return Frame(title=start, start=start + 1, end=_last_line(scores, end))
    title = _title_above(kinds, texts, start)
    header = _header_in_run(kinds, scores, start, end)
    inner = _title_above(kinds, texts, header) if header is not None else None
    # a line of twenty words or more over the byline is the standfirst, not the headline
    if inner is not None and inner >= start and words(texts[inner]) < _RUN_ON_MIN_WORDS:
        title, start = inner, inner + 1
    if title is None:
        title = _label_above(kinds, texts, start)
    return Frame(title=title, start=start, end=_last_line(scores, end))


def _label_above(kinds: Sequence[str], texts: Sequence[str], start: int) -> int | None:
    """The headline of a page that shows none of two words or more: the line of text right
    above a story that opens with a sentence ("Obituary", a one-word title), so that the
    story's first paragraph is not taken for its headline."""
    if not is_sentence(texts[start]):
        return None
    above = next((i for i in range(start - 1, -1, -1) if kinds[i] != "furniture"), None)
    if above is None or kinds[above] != "text" or is_sentence(texts[above]) \
            or words(texts[above]) > _TITLE_MAX_WORDS:
        return None
    return above


def _comments_start(kinds: Sequence[str], scores: Sequence[float]) -> int:
    """Where the page's comment section begins (its head, form or first Reply button)
    under a paragraph's worth of prose, or the paste's end: comments follow the article,
    and a thread of long comments must not outweigh a short story above it."""
    prose = 0.0
    for i, (kind, value) in enumerate(zip(kinds, scores)):
        if kind == "comments" and prose >= _PROSE_ABOVE_COMMENTS:
            return i
        prose += max(value, 0.0)
    return len(kinds)


def _first_entry(kinds: Sequence[str], texts: Sequence[str], start: int, end: int) -> int:
    """The run's start, moved up to its first entry's time when the run is a live blog's
    entries (times on lines of their own) and begins under that time and perhaps the
    entry's headline: the headline is then looked for above the first entry."""
    if sum(kind == "stamp" for kind in kinds[start:end + 1]) < _ENTRIES_MIN - 1:
        return start
    above = [i for i in range(start - 1, max(-1, start - 4), -1) if kinds[i] != "furniture"]
    if above and kinds[above[0]] == "stamp":
        return above[0]
    if len(above) > 1 and kinds[above[0]] == "text" and kinds[above[1]] == "stamp":
        return above[1]
    return start


def _before_teasers(kinds: Sequence[str], texts: Sequence[str], scores: Sequence[float],
                    start: int, end: int) -> int:
    """The run's end, moved up to before a list of story teasers when the run reaches
    into one: two or more entries of a headline, perhaps a name, a byline or date line
    and a summary, after the story has begun (one dated line alone is the story's own)."""
    heads = [head for m in range(start + 1, end) if kinds[m] == "meta"
             and (head := _teaser_head(kinds, texts, scores, m)) is not None]
    return end if len(heads) < _TEASERS_MIN else _last_prose_above(scores, start, heads[0])


def _before_comments(kinds: Sequence[str], texts: Sequence[str], scores: Sequence[float],
                     start: int, end: int) -> int:
    """The run's end, moved up to before a thread of comments when the run reaches into
    one: two or more entries of a commenter's name, the time they wrote (a date and time,
    or "2 hours ago") and their words, after the story has begun."""
    heads = [m for m in range(start + 1, end) if _is_comment_head(kinds, texts, scores, m)]
    return end if len(heads) < _COMMENTS_MIN else _last_prose_above(scores, start, heads[0])


def _last_prose_above(scores: Sequence[float], start: int, line: int) -> int:
    """The last line of prose above `line`, not above the run's `start`."""
    last = line - 1
    while last > start and scores[last] <= 0:
        last -= 1
    return last


def _is_comment_head(kinds: Sequence[str], texts: Sequence[str], scores: Sequence[float],
                     name: int) -> bool:
    """Is the line at `name` a commenter's name over the time they wrote and their words?"""
    if (name + 2 >= len(kinds) or kinds[name] != "text" or scores[name] > 0
            or words(texts[name]) > _COMMENTER_MAX_WORDS or scores[name + 2] <= 0):
        return False
    when = texts[name + 1]
    return bool((kinds[name + 1] in ("meta", "stamp") and _TIME_OF_DAY.search(when))
                or (kinds[name + 1] == "furniture" and _RELATIVE_TIME.fullmatch(when)))


def _teaser_head(kinds: Sequence[str], texts: Sequence[str], scores: Sequence[float],
                 meta: int) -> int | None:
    """The headline of the teaser whose byline or date line is at `meta`, or None when
    that line is not under a headline and over a summary."""
    if meta + 1 >= len(kinds) or scores[meta + 1] <= 0:
        return None
    for i in range(meta - 1, max(-1, meta - 1 - _TEASER_HEAD_LINES), -1):
        if kinds[i] == "text" and scores[i] < 0 and is_title_shaped(texts[i]):
            return i
    return None


def _last_line(scores: Sequence[float], end: int) -> int:
    """The story's last line: past its last long line, over a few short sentences,
    captions and a quote's attribution, but not over furniture or a menu."""
    last = end
    for i in range(end + 1, min(len(scores), end + 1 + _TRAILING_LINES)):
        if scores[i] < _META_LOSS:
            break
        if scores[i] == 0.0 or i == last + 1:
            last = i
    return last


def _soften_promos(kinds: Sequence[str], scores: list[float]) -> None:
    """A "Related" label with the story going on a few lines under it (two paragraphs in a
    row, where a rail of teasers alternates headline and summary) is an inline promo: it
    costs what any label costs, not what a section's end does."""
    for i, kind in enumerate(kinds):
        if kind != "promo":
            continue
        for j in range(i + 1, min(len(kinds) - 1, i + 1 + _PROMO_MAX_LINES)):
            if kinds[j] in ENDS:
                break
            if scores[j] > 0:
                if scores[j + 1] > 0:
                    scores[i] = _SHORT_LOSS
                break


def densest_run(scores: Sequence[float]) -> tuple[int, int] | None:
    """First and last index of the span with the highest sum (Kadane), or None."""
    best, best_span = 0.0, None
    total, start = 0.0, 0
    for i, value in enumerate(scores):
        if total <= 0:
            total, start = 0.0, i
        total += value
        if total > best:
            best, best_span = total, (start, i)
    return best_span


def _title_above(kinds: Sequence[str], texts: Sequence[str], start: int) -> int | None:
    """The headline above the body's first line. A headline stands over its byline or date
    line: a line found under one (a comment counter, a label between the byline and the
    story) gives way to a headline of four words or more close above that byline."""
    found = _title_line_above(kinds, texts, start)
    if found is None or any(kinds[i] == "meta" for i in range(found + 1, start)):
        return found
    near = [i for i in range(found - 1, -1, -1) if kinds[i] != "furniture"][:_LINES_UNDER_BYLINE]
    meta = next((i for i in near if kinds[i] == "meta"), None)
    if meta is None:
        return found
    higher = _title_line_above(kinds, texts, meta)
    above = [i for i in range(meta - 1, -1, -1) if kinds[i] != "furniture"][:_LINES_UNDER_BYLINE]
    if higher is not None and higher in above and words(texts[higher]) >= _HEADLINE_MIN_WORDS:
        return higher
    return found


def _title_line_above(kinds: Sequence[str], texts: Sequence[str], start: int) -> int | None:
    """The headline: the first title-shaped line above the body's first line, past the
    header block (metadata, photo, furniture, at most two standfirst lines). A line of
    two words is taken only when no longer one stands close above it: two words are more
    often an agency or a section's name than a headline, but a longer line further up,
    over more short lines of text, is a menu's item."""
    standfirst = header = 0
    short = None
    above_short = 0  # lines of text read above the two-word line
    for i in range(start - 1, -1, -1):
        kind, text = kinds[i], texts[i]
        if kind == "furniture":
            continue
        header += 1
        if header > _HEADER_MAX_LINES:
            break
        if kind in _HEADER_KINDS or kind in ENDS or _CLOCK_START.match(text) or is_byline_shaped(text) \
                or is_field_label(text) or _under_field_label(kinds, texts, i) or is_path_shaped(text) \
                or _CJK_DATELINE.search(text):
            continue  # "Read more" over a promo, a live blog's "Key events" links, "Filed to:"
        if short is not None:
            above_short += 1
            if above_short > _SHORT_LINES_OVER_MENU:
                return short
        if is_title_shaped(text) and words(text) >= _HEADLINE_MIN_WORDS - 1:
            return _title_over_standfirst(kinds, texts, i)
        if is_title_shaped(text):
            short = i if short is None else short
            continue
        standfirst += 1
        if standfirst > _STANDFIRST_MAX_LINES:
            break
    return short


def is_field_label(text: str) -> bool:
    """A label of a few words ending in a colon ("Filed to:", "Tags:", "Category:") whose
    value (a section, a tag, a name) stands on the next line."""
    return text.endswith((":", "：")) and words(text) <= _FIELD_LABEL_MAX_WORDS


def _under_field_label(kinds: Sequence[str], texts: Sequence[str], line: int) -> bool:
    """Is the line the value of a field label right above it (the tag under "Filed to:")?
    A value is a few words: a longer line under a form's label ("Text Input:") is not one."""
    if words(texts[line]) > _FIELD_LABEL_MAX_WORDS:
        return False
    above = next((i for i in range(line - 1, -1, -1) if kinds[i] != "furniture"), None)
    return above is not None and is_field_label(texts[above])


def _opens_with_headline(kinds: Sequence[str], texts: Sequence[str], scores: Sequence[float],
                         start: int, end: int) -> bool:
    """Does the run open with its headline? A question or exclamation long enough to
    count as prose, over header lines (byline, date, photo, labels), not over prose."""
    if kinds[start] != "text" or not texts[start].endswith(_HEADLINE_ENDS) \
            or not is_title_shaped(texts[start]):
        return False
    following = next((i for i in range(start + 1, end + 1) if kinds[i] != "furniture"), None)
    return following is not None and scores[following] <= 0


def _header_in_run(kinds: Sequence[str], scores: Sequence[float], start: int, end: int) -> int | None:
    """A byline or date line near the run's top with at most a standfirst and a notice
    of prose above it: the article's header block, when the run began above it (a
    disclaimer, a cookie notice or a teaser's summary joined the story)."""
    prose = 0
    for m in range(start, min(end, start + _HEADER_MAX_LINES)):
        if kinds[m] == "meta":
            return m
        prose += scores[m] > 0
        if prose > _STANDFIRST_MAX_LINES:
            return None
    return None


def _title_over_standfirst(kinds: Sequence[str], texts: Sequence[str], found: int) -> int:
    """The line found, or the line above it when that is a shorter headline and the
    line found, long and under it, is the standfirst."""
    above = next((i for i in range(found - 1, -1, -1) if kinds[i] != "furniture"), None)
    if above is None or kinds[above] != "text":
        return found
    length, title_length = words(texts[found]), words(texts[above])
    if (length >= _STANDFIRST_MIN_WORDS and _HEADLINE_MIN_WORDS <= title_length < length
            and is_title_shaped(texts[above]) and not is_path_shaped(texts[above])
            and not is_title_case(texts[found])):
        return above
    return found


def is_byline_shaped(text: str) -> bool:
    """Opens with "By" and a capitalised name, with a name and the writer's handle, or with
    an authors' label and a name: a byline, even with a date or a counter run into it ("by
    Jane Doe19 June 20243", "Jane Doe @janedoe / 2 days", "Autori: Anna Ūdre"), never a
    headline."""
    parts = text.split(None, 2)
    label = _AUTHOR_LABEL.match(text)
    return (len(parts) > 1 and parts[0].lower() in _BY_WORDS and parts[1][:1].isupper()) \
        or bool(_NAME_AND_HANDLE.match(text)) or (label is not None and text[label.end():][:1].isupper())


def is_path_shaped(text: str) -> bool:
    """Short parts between slashes: a breadcrumb or a footer's links, not a sentence."""
    return bool(_PATH.fullmatch(text)) and not is_sentence(text)


def is_title_shaped(text: str) -> bool:
    """Two words or more (four characters of an unspaced script), not a full stop at
    the end: headlines end in a question or exclamation mark at most, never in the dash
    or arrow a kicker or a breadcrumb ends in ("Biz & IT —", "Software ›")."""
    length = words(text)
    return 2 <= length <= _TITLE_MAX_WORDS and not text.endswith((".", "。", ",", ":", *_SEPARATOR_ENDS))
