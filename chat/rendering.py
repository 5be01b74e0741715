"""Render a message body into safe HTML: escaped text, @mentions, links and a little Markdown.

User text is never trusted: it is escaped piece by piece, and the result goes
through nh3 with a short allow-list as a second line of defence.

The Markdown subset, line by line:

- a line that is exactly ```` ``` ```` (an info string may follow) up to the next line
  that is only ```` ``` ```` is a code block; without a closing fence the line is text;
- consecutive lines starting ``> `` make a block quote;
- consecutive lines starting ``- `` make a bulleted list, ``1. `` (any number) a
  numbered one; an item needs some text after its marker;
- any other line is text.

Within a line (a quote's or an item's text too): `` `code` `` (any run of backticks,
closed by a run as long), ``[text](https://...)`` for http(s) only, bare URLs, @mentions,
``:shortcode:`` emoji from ``EMOJI``, ``*bold*`` or ``**bold**`` and ``_italic_``. A
marker opens only at the start of a word and closes only at its end, so
``snake_case_names`` and ``2*3*4`` stay as typed. Code is literal: no mention, link,
emoji or formatting inside. Anything that does not match stays literal text.

Chinese and the other scripts written without spaces: a mention may start right after
one of their letters ("你好@yan") and its name may end at any of them (the longest name
that is someone wins: see ``mention_candidates``); a bare URL ends at one of their letters
and at full-width punctuation ("看https://example.org/x。明天见"). A link whose address
holds such letters is written as ``[text](address)``.

Every character of the body stays in the text of the HTML, in order: the markers are
kept in ``<span class="md-mark">`` elements that the stylesheet hides, and an emoji is
drawn by the stylesheet from its ``emoji-<code points>`` class. So the message reads as
typed to anything that reads its text, and a body without Markdown renders exactly as
it did before formatting existed.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass

import nh3
from django.utils.html import escape, format_html
from django.utils.safestring import SafeString

# Letters of the scripts written without spaces between words (Han, kana, Bopomofo,
# Thai, Lao, Khmer, Myanmar): there a word boundary can fall between any two letters.
NO_SPACE_LETTERS = (
    "\u0e00-\u0eff\u1000-\u109f\u1780-\u17ff\u3040-\u30ff\u3100-\u312f\u31a0-\u31bf\u31f0-\u31ff"
    "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uff66-\uff9f\U00020000-\U0003134f"
)
# CJK and full-width punctuation (the ideographic comma and full stop, corner brackets,
# full-width commas, colons and parentheses), typographic quotes, dashes and the ellipsis.
WIDE_PUNCTUATION = "\u2014\u2018-\u201f\u2026\u3000-\u303f\ufe30-\ufe6f\uff00-\uff65"
_NO_SPACE_RE = re.compile(f"[{NO_SPACE_LETTERS}]")
# A URL runs to the next whitespace, full-width punctuation or letter of a script
# written without spaces (the sentence goes on there: "看https://example.org/x。明天见");
# trailing punctuation is left outside it.
_URL = rf"https?://[^\s<>\"'{NO_SPACE_LETTERS}{WIDE_PUNCTUATION}]+"
# "@" (or U+FF20, the full-width at sign of Chinese input methods) opens a mention at
# the start of a word, or right after a letter of a script written without spaces
# ("你好@yan"); after other letters it is an e-mail address.
_MENTION = rf"(?:(?<=[{NO_SPACE_LETTERS}])|(?<![\w@\uff20]))(?P<at>[@\uff20])(?P<name>[\w.@+-]{{1,150}})"
_TRAILING = ".,;:!?)]}'\""

# Shortcode -> emoji. The stylesheet draws each one (chat.css, ".emoji-<code points>").
EMOJI: dict[str, str] = {
    "+1": "\U0001f44d",
    "thumbsup": "\U0001f44d",
    "-1": "\U0001f44e",
    "thumbsdown": "\U0001f44e",
    "smile": "\U0001f604",
    "grin": "\U0001f601",
    "joy": "\U0001f602",
    "rofl": "\U0001f923",
    "laughing": "\U0001f606",
    "sweat_smile": "\U0001f605",
    "slightly_smiling_face": "\U0001f642",
    "upside_down_face": "\U0001f643",
    "wink": "\U0001f609",
    "blush": "\U0001f60a",
    "innocent": "\U0001f607",
    "heart_eyes": "\U0001f60d",
    "sunglasses": "\U0001f60e",
    "thinking": "\U0001f914",
    "neutral_face": "\U0001f610",
    "confused": "\U0001f615",
    "open_mouth": "\U0001f62e",
    "stuck_out_tongue": "\U0001f61b",
    "sleeping": "\U0001f634",
    "cry": "\U0001f622",
    "sob": "\U0001f62d",
    "angry": "\U0001f620",
    "rage": "\U0001f621",
    "scream": "\U0001f631",
    "see_no_evil": "\U0001f648",
    "facepalm": "\U0001f926",
    "shrug": "\U0001f937",
    "ok_hand": "\U0001f44c",
    "clap": "\U0001f44f",
    "wave": "\U0001f44b",
    "pray": "\U0001f64f",
    "muscle": "\U0001f4aa",
    "raised_hands": "\U0001f64c",
    "eyes": "\U0001f440",
    "heart": "\u2764\ufe0f",
    "broken_heart": "\U0001f494",
    "fire": "\U0001f525",
    "tada": "\U0001f389",
    "sparkles": "\u2728",
    "star": "\u2b50",
    "zap": "\u26a1",
    "rocket": "\U0001f680",
    "100": "\U0001f4af",
    "white_check_mark": "\u2705",
    "heavy_check_mark": "\u2714\ufe0f",
    "x": "\u274c",
    "warning": "\u26a0\ufe0f",
    "question": "\u2753",
    "exclamation": "\u2757",
    "bulb": "\U0001f4a1",
    "bug": "\U0001f41b",
    "memo": "\U0001f4dd",
    "calendar": "\U0001f4c5",
    "hourglass": "\u23f3",
    "coffee": "\u2615",
    "pizza": "\U0001f355",
    "cake": "\U0001f370",
    "beers": "\U0001f37b",
}

_CODE_SPAN = r"(?<!`)(?P<ticks>`+)(?!`)(?P<code>[^\n]*?[^`\n])(?P=ticks)(?!`)"
_LINK_URL = r"https?://(?:[^\s<>\"'()\[\]]|\([^\s<>\"'()\[\]]*\))+"
_LINK = rf"\[(?P<label>[^\[\]\n]+)\]\((?P<href>{_LINK_URL})\)"
_SHORTCODE = r":(?P<emoji>{}):".format(
    "|".join(re.escape(name) for name in sorted(EMOJI, key=len, reverse=True))
)
# At one position the first alternative wins: a code span before all, so nothing in it is read.
_INLINE_RE = re.compile(rf"{_CODE_SPAN}|{_LINK}|(?P<url>{_URL})|{_MENTION}|{_SHORTCODE}")
_DELIMITER_RUN_RE = re.compile(r"\*+|_+")
# Delimiter runs that format, and how: a single or double asterisk, a single underscore.
_EMPHASIS = {"*": "strong", "**": "strong", "_": "em"}

_FENCE_OPEN_RE = re.compile(r"```[^`]*")
_FENCE_CLOSE_RE = re.compile(r"```[ \t\r]*")
_QUOTE_RE = re.compile(r"> ")
_BULLET_RE = re.compile(r"- (?=.*\S)")
_NUMBER_RE = re.compile(r"[0-9]{1,9}\. (?=.*\S)")


def _emoji_class(emoji: str) -> str:
    return "emoji-" + "-".join(f"{ord(char):x}" for char in emoji)


# What every rendered mention holds, and nothing else the renderer writes.
MENTION_MARKUP = '<span class="mention"'

_ALLOWED_TAGS = {"a", "span", "strong", "em", "code", "pre", "blockquote", "ul", "ol", "li"}
_ALLOWED_ATTRIBUTES = {"a": {"href"}, "span": {"data-username"}}
_ALLOWED_CLASSES = {
    "span": {"mention", "md-mark", "emoji"} | {_emoji_class(emoji) for emoji in EMOJI.values()}
}
# A link opens beside the chat, never in its place; the new page gets no handle on
# this one (noopener), no referrer, and no endorsement from us (nofollow).
_LINK_TARGET = {"a": {"target": "_blank"}}
_LINK_REL = "noopener noreferrer nofollow"


def _mark(text: str) -> str:
    """Markdown syntax, kept in the text but hidden by the stylesheet."""
    return f'<span class="md-mark">{html.escape(text, quote=False)}</span>'


@dataclass
class _Block:
    kind: str  # "text", "code", "quote", "ul" or "ol"
    # (marker, content, line end) for each line; a code block's marker is its opening
    # fence, its content the code, and its line end the closing fence.
    lines: list[tuple[str, str, str]]


def _blocks(body: str) -> Iterator[_Block]:
    lines = body.split("\n")
    ends = ["\n"] * (len(lines) - 1) + [""]
    index = 0
    while index < len(lines):
        line = lines[index]
        if _FENCE_OPEN_RE.fullmatch(line):
            close = next(
                (j for j in range(index + 1, len(lines)) if _FENCE_CLOSE_RE.fullmatch(lines[j])),
                None,
            )
            if close is not None:
                code = "\n".join(lines[index + 1 : close])
                opening = line + "\n"
                closing = ("\n" if close > index + 1 else "") + lines[close] + ends[close]
                yield _Block("code", [(opening, code, closing)])
                index = close + 1
                continue
        for kind, marker_re in (("quote", _QUOTE_RE), ("ul", _BULLET_RE), ("ol", _NUMBER_RE)):
            if marker_re.match(line):
                items = []
                while index < len(lines) and (marker := marker_re.match(lines[index])):
                    items.append((marker.group(), lines[index][marker.end() :], ends[index]))
                    index += 1
                yield _Block(kind, items)
                break
        else:
            yield _Block("text", [("", line, ends[index])])
            index += 1


def mention_candidates(typed: str) -> list[str]:
    """The names that ``typed`` (what follows an "@") may mention, longest first.

    Where the text is in a script written without spaces, the name may end at any of
    its letters: "@yan明天见" is yan's mention followed by 明天见, unless someone is
    called yan明天见, and "@张伟你好" mentions 张伟 when no one is called 张伟你好. So
    the candidates are the whole run and each of its beginnings that ends beside such
    a letter, without trailing punctuation; the longest one that names someone wins.
    """
    cuts = [
        index
        for index in range(1, len(typed))
        if _NO_SPACE_RE.match(typed[index - 1]) or _NO_SPACE_RE.match(typed[index])
    ]
    names = (_strip_trailing(typed[:end])[0] for end in [len(typed), *reversed(cuts)])
    return list(dict.fromkeys(name for name in names if name))


def _first_cut(typed: str) -> int:
    """Where, in ``typed``, the shortest candidate ends (the whole run when it has one only):
    past it a name is not certain, and the text is read again for other mentions."""
    return next(
        (
            index
            for index in range(1, len(typed))
            if _NO_SPACE_RE.match(typed[index - 1]) or _NO_SPACE_RE.match(typed[index])
        ),
        len(typed),
    )


def mention_runs(body: str) -> list[list[str]]:
    """Each "@" of ``body`` that may mention someone, as its mention_candidates (none
    inside code), in order."""
    runs = []
    for block in _blocks(body):
        if block.kind == "code":
            continue
        for _marker, content, _end in block.lines:
            position = 0
            while match := _INLINE_RE.search(content, position):
                position = match.end()
                if match.group("name"):
                    runs.append(mention_candidates(match.group("name")))
                    # A later "@" in the same run ("@yan明天@bob") is read again.
                    position = match.start("name") + _first_cut(match.group("name"))
    return [candidates for candidates in runs if candidates]


def mentioned_names(body: str) -> set[str]:
    """Every name a body may mention, whether or not they exist (none inside code): what
    to look up before rendering it."""
    return {name for candidates in mention_runs(body) for name in candidates}


def _strip_trailing(text: str) -> tuple[str, str]:
    end = len(text)
    while end and text[end - 1] in _TRAILING:
        # Keep a closing parenthesis that closes one opened inside the URL.
        if text[end - 1] == ")" and text[:end].count("(") >= text[:end].count(")"):
            break
        end -= 1
    return text[:end], text[end:]


@dataclass
class _Delimiter:
    run: str
    can_open: bool
    can_close: bool
    pair: str = ""  # "open" or "close" once matched


def _delimiters(text: str, start: int, end: int) -> Iterator[str | _Delimiter]:
    """The text in ``text[start:end]``, escaped, with each run of ``*`` or ``_`` apart."""
    position = start
    for run in _DELIMITER_RUN_RE.finditer(text, start, end):
        yield html.escape(text[position : run.start()], quote=False)
        position = run.end()
        before = text[run.start() - 1] if run.start() else " "
        after = text[run.end()] if run.end() < len(text) else " "
        if run.group() in _EMPHASIS:
            yield _Delimiter(
                run.group(),
                # Only at a word's edges: snake_case_names and 2*3*4 are not formatting.
                can_open=not after.isspace() and not before.isalnum(),
                can_close=not before.isspace() and not after.isalnum(),
            )
        else:
            yield run.group()
    yield html.escape(text[position:end], quote=False)


def _may_close(pieces: list[str | _Delimiter], run: str) -> bool:
    """Whether ``run``, after ``pieces``, has an opener before it to close."""
    return run in _EMPHASIS and any(
        isinstance(piece, _Delimiter) and piece.can_open and piece.run == run for piece in pieces
    )


def _emphasize(pieces: list[str | _Delimiter]) -> str:
    """Pair each closing delimiter with the nearest opener like it; the rest stay text."""
    openers: list[_Delimiter] = []
    for piece in pieces:
        if not isinstance(piece, _Delimiter):
            continue
        if piece.can_close:
            match = next((i for i in range(len(openers) - 1, -1, -1) if openers[i].run == piece.run), None)
            if match is not None:
                openers[match].pair, piece.pair = "open", "close"
                # Openers inside the pair can no longer close without crossing it.
                del openers[match:]
                continue
        if piece.can_open:
            openers.append(piece)
    parts = []
    for piece in pieces:
        if isinstance(piece, str):
            parts.append(piece)
        elif piece.pair == "open":
            parts.append(f"{_mark(piece.run)}<{_EMPHASIS[piece.run]}>")
        elif piece.pair == "close":
            parts.append(f"</{_EMPHASIS[piece.run]}>{_mark(piece.run)}")
        else:
            parts.append(piece.run)
    return "".join(parts)


def _inline(text: str, known: Mapping[str, str], *, links: bool = True) -> str:
    """The HTML for one line of text; ``links=False`` inside a link's label."""
    pieces: list[str | _Delimiter] = []
    position = 0
    searched = 0  # where the next token is looked for
    while match := _INLINE_RE.search(text, searched):
        searched = match.end()
        if not links and (match.group("url") or match.group("name")):
            continue  # stays text
        pieces.extend(_delimiters(text, position, match.start()))
        position = match.end()
        if match.group("code"):
            ticks = match.group("ticks")
            code = html.escape(match.group("code"), quote=False)
            pieces.append(f"{_mark(ticks)}<code>{code}</code>{_mark(ticks)}")
        elif match.group("label"):
            href = match.group("href")
            label = _inline(match.group("label"), known, links=False)
            pieces.append(f'{_mark("[")}<a href="{html.escape(href)}">{label}</a>{_mark(f"]({href})")}')
        elif match.group("url"):
            url = _strip_trailing(match.group("url"))[0]
            # "*see https://example.org*": the asterisk closes the bold, it is not the URL's.
            bare = url.rstrip("*_")
            if _may_close(pieces, url[len(bare) :]):
                url = _strip_trailing(bare)[0]
            pieces.append(f'<a href="{html.escape(url)}">{html.escape(url, quote=False)}</a>')
            position = match.start() + len(url)
        elif match.group("name"):
            typed = match.group("name")
            name = next((name for name in mention_candidates(typed) if name in known), None)
            if name is not None:
                pieces.append(
                    f'{MENTION_MARKUP} data-username="{html.escape(known[name])}">'
                    f"@{html.escape(name, quote=False)}</span>"
                )
            else:
                # No one: the "@" and the certain part of the name stay text, and what
                # follows is read again ("@nobody明天@bob" still mentions bob).
                name = _strip_trailing(typed[: _first_cut(typed)])[0]
                pieces.append(html.escape(match.group("at") + name, quote=False))
            position = searched = match.start("name") + len(name)
        else:
            shortcode = match.group()
            emoji_class = _emoji_class(EMOJI[match.group("emoji")])
            pieces.append(f'<span class="emoji {emoji_class}">{_mark(shortcode)}</span>')
    pieces.extend(_delimiters(text, position, len(text)))
    return _emphasize(pieces)


def _render_block(block: _Block, known: Mapping[str, str]) -> str:
    if block.kind == "code":
        ((opening, code, closing),) = block.lines
        return f"<pre>{_mark(opening)}<code>{html.escape(code, quote=False)}</code>{_mark(closing)}</pre>"
    if block.kind == "text":
        ((_marker, content, end),) = block.lines
        return _inline(content, known) + end
    if block.kind == "quote":
        lines = (_mark(marker) + _inline(content, known) + end for marker, content, end in block.lines)
        return f"<blockquote>{''.join(lines)}</blockquote>"
    # The typed number is shown as typed; a bullet replaces the hidden "- ".
    show = html.escape if block.kind == "ol" else _mark
    items = (f"<li>{show(marker)}{_inline(content, known)}{end}</li>" for marker, content, end in block.lines)
    return f"<{block.kind}>{''.join(items)}</{block.kind}>"


def render_body(body: str, existing_usernames: Iterable[str] | Mapping[str, str] = ()) -> str:
    """Return the HTML for ``body``; ``existing_usernames`` become mentions.

    A mapping names, for each name as typed, the user it mentions (``{"Bob": "bob"}``);
    the mention keeps the typed text and carries the username in ``data-username``."""
    known = (
        dict(existing_usernames)
        if isinstance(existing_usernames, Mapping)
        else {name: name for name in existing_usernames}
    )
    return nh3.clean(
        "".join(_render_block(block, known) for block in _blocks(body)),
        tags=_ALLOWED_TAGS,
        attributes=_ALLOWED_ATTRIBUTES,
        allowed_classes=_ALLOWED_CLASSES,
        url_schemes={"http", "https"},
        set_tag_attribute_values=_LINK_TARGET,
        link_rel=_LINK_REL,
    )


def highlighted(text: str, terms: list[str]) -> SafeString:
    """``text`` escaped, with every occurrence of a term (ignoring case) in <mark>.

    Matches are found in the raw text and each piece is escaped on its own, so a term
    never matches inside an entity that escaping made ("amp" in "&amp;")."""
    if not terms:
        return escape(text)
    pattern = re.compile("|".join(re.escape(term) for term in sorted(terms, key=len, reverse=True)), re.I)
    marked = SafeString()
    end = 0
    for match in pattern.finditer(text):
        marked += escape(text[end : match.start()]) + format_html("<mark>{}</mark>", match.group())
        end = match.end()
    return marked + escape(text[end:])
