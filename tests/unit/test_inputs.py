"""The edge's text check: every control character is refused except tab and line breaks."""

import sys
import unicodedata

from trainer.inputs import has_control_characters

ALLOWED = {"\t", "\n", "\r"}


def test_refused_characters_are_exactly_unicodes_controls_but_tab_and_line_breaks():
    for code in range(sys.maxunicode + 1):
        character = chr(code)
        control = unicodedata.category(character) == "Cc" and character not in ALLOWED
        assert has_control_characters(f"a{character}b") is control, hex(code)


def test_ordinary_text_passes():
    assert not has_control_characters("Иванова Анна\tсудья\r\n«побои», ст. 116.1 — 2026")
    assert has_control_characters("ivan\x00@example.org")
