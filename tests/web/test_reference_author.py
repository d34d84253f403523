"""A reference whose author ends with a full stop ("et al.", an initial) is not written with
two ("Amy E. Bonomi et al.. Title"), in the module's and lesson's list and the scenario's."""

import re
from pathlib import Path
from types import SimpleNamespace

from flask import render_template

REFS = [
    SimpleNamespace(id="bonomi", author="Amy E. Bonomi et al.", title="Meet me at the hill",
                    url=None, year=2011, note=None),
    SimpleNamespace(id="coe", author="Council of Europe", title="Convention", url=None,
                    year=2011, note=None),
]  # fmt: skip


def test_the_lessons_references(app):
    with app.test_request_context():
        html = render_template("learn/_references.html", references=list(enumerate(REFS, 1)))
    assert "Amy E. Bonomi et al. Meet me at the hill (2011)" in html
    assert ".." not in html
    assert "Council of Europe. Convention (2011)" in html


def test_the_scenarios_references(app):
    with app.test_request_context():
        macros = app.jinja_env.get_template("scenarios/_macros.html").make_module(
            {"references": {ref.id: ref for ref in REFS}}
        )
        html = str(macros.reference_list(["bonomi", "coe"]))
    assert "Amy E. Bonomi et al. Meet me at the hill (2011)" in html
    assert ".." not in html
    assert "Council of Europe. Convention (2011)" in html


def test_no_template_puts_a_full_stop_after_an_author_unconditionally():
    # The quiz result's "Source:" line too: each writes the stop only after an author without one.
    templates = Path(__file__).parents[2] / "trainer"
    unconditional = [
        str(path.relative_to(templates))
        for path in templates.rglob("*.html")
        if re.search(r"author \}\}\. ", path.read_text(encoding="utf-8"))
    ]
    assert unconditional == []
