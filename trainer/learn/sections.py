"""The side-by-side lesson view: both languages cut at the same headings and paired by row.

Lesson HTML is stored sanitised at sync time; this only cuts it at top-level <h2> and <h3>
(a heading inside a callout or a table stays in its section) and never adds markup of its own.
"""

import re
from itertools import pairwise, zip_longest

# Containers a heading may sit inside; only headings outside all of them start a section.
TAG = re.compile(r"<(/?)(h2|h3|div|blockquote|table|ul|ol|dl|figure)\b[^>]*>", re.IGNORECASE)


def split_sections(html: str) -> list[str]:
    """The HTML in pieces, each starting at a top-level h2/h3 (the first may be an intro)."""
    cuts, depth = [0], 0
    for match in TAG.finditer(html):
        closing, name = match[1] == "/", match[2].lower()
        if name in ("h2", "h3"):
            if not closing and depth == 0 and match.start() > 0:
                cuts.append(match.start())
            continue
        depth = max(depth - 1, 0) if closing else depth + 1
    cuts.append(len(html))
    pieces = [html[start:end] for start, end in pairwise(cuts)]
    return [piece for piece in pieces if piece.strip()]


def paired_sections(ru: str, en: str) -> list[tuple[str, str]]:
    """Rows of (Russian, English) sections; a language with fewer sections leaves cells empty."""
    return list(zip_longest(split_sections(ru), split_sections(en), fillvalue=""))
