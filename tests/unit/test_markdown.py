from trainer.content.markdown import render_markdown


def render(source, lang="en", refs=None, assets=None):
    return render_markdown(source, lang, refs or {}, lambda p: (assets or {}).get(p))


def test_scripts_handlers_and_javascript_links_are_removed():
    html = render(
        '<script>alert("x")</script>\n\n<p onclick="steal()">hi</p>\n\n'
        '[click](javascript:alert(1)) <a href="javascript:alert(2)">a</a>'
    ).html
    assert "<script" not in html and 'alert("x")' not in html
    assert "onclick" not in html and "javascript:" not in html.replace("[click](javascript", "")
    assert 'href="javascript' not in html


def test_callouts_are_labelled_in_the_lesson_language():
    ru = render("::: legal\nУК РФ ст. 116.1\n:::", lang="ru").html
    en = render("::: key-point\nListen first.\n:::", lang="en").html
    assert 'class="callout callout-legal"' in ru and "Правовая норма" in ru
    assert "Key point" in en


def test_citations_link_to_the_numbered_reference():
    out = render("As shown [@unodc].", refs={"unodc": 2})
    assert '<a href="#ref-unodc" rel="noopener noreferrer">[2]</a>' in out.html
    assert out.citations == ["unodc"]


def test_images_point_at_their_stored_asset_and_need_alt_text():
    out = render("![Scheme](img/a.png)", assets={"img/a.png": "assets/abc.png"})
    assert '<img src="assets/abc.png" alt="Scheme"' in out.html and out.problems == []
    assert "missing alt text" in render("![](img/a.png)", assets={"img/a.png": "x.png"}).problems[0]


def test_words_are_counted_without_markup():
    assert render("**Two** [words](https://example.org)").words == 2
