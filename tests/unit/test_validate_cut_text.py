"""A text with a comma inside `{ru: ..., en: ...}` is cut there by YAML, and the rest becomes
an unknown key without a value: the message says so and how to write it, not only "unknown
field" (the first thing that tripped an outside author writing a module from the README)."""

import re

from tests.conftest import EXAMPLE_MODULE
from trainer.content.validate import load_module

QUOTE_IT = 'put a text that contains a comma in double quotes: {ru: "Да, это так", en: ...}'


def cut_choice(folder, ru: str, en: str) -> list[str]:
    """The scenario's first choice text, rewritten as `text: {ru: <ru>, en: <en>}`."""
    scenario = folder / "scenarios" / "call.yaml"
    text = scenario.read_text(encoding="utf-8")
    block = re.compile(r"( {4}choices:\n {6}- id: [\w-]+\n {8}text:).*?\n( {8}next:)", re.S)
    edited, count = block.subn(rf"\1 {{ru: {ru}, en: {en}}}\n\2", text, count=1)
    assert count == 1
    scenario.write_text(edited, encoding="utf-8")
    return [str(e) for e in load_module(folder).errors]


def test_the_rest_of_a_cut_text_is_named_as_such(module_copy):
    found = cut_choice(module_copy, "Поговорить, наедине", "Talk alone")
    [message] = [m for m in found if ".text.наедине:" in m]
    assert message.endswith(f"not a field but the end of a text: a comma ends a text written as "
                            f"{{ru: ..., en: ...}}; {QUOTE_IT}")  # fmt: skip
    assert "call.yaml:" in message


def test_a_latin_word_may_be_a_misspelling_or_a_cut_text(module_copy):
    found = cut_choice(module_copy, "Поговорить наедине", "Talk, alone")
    [message] = [m for m in found if ".text.alone:" in m]
    assert "unknown field: check the spelling, or, if it is the end of a text" in message
    assert message.endswith(QUOTE_IT)


def test_a_misspelt_field_with_a_value_keeps_the_short_message(module_copy):
    manifest = module_copy / "module.yaml"
    manifest.write_text(manifest.read_text(encoding="utf-8") + "estimated_minutse: 5\n")
    [message] = [str(e) for e in load_module(module_copy).errors]
    assert message.endswith("estimated_minutse: unknown field (check the spelling)")


def test_the_example_still_validates():
    assert load_module(EXAMPLE_MODULE).errors == []
