"""The certificate PDF, read back with poppler (pdftotext, pdffonts) and pypdf."""

import io
import shutil
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from datetime import date

import pytest
from PIL import Image
from pypdf import PdfReader

from trainer.learning.pdf import (
    BODY_WIDTH,
    SERIF_BOLD,
    CertificateData,
    fit,
    hours_text,
    render_certificate,
    text_width,
)

needs_poppler = pytest.mark.skipif(
    shutil.which("pdftotext") is None, reason="poppler-utils (pdftotext, pdffonts) not installed"
)

LONG_NAME = "Александра-Виктория Константиновна Преображенская-Воскресенская"
DATA = CertificateData(
    learner_name=LONG_NAME,
    title_ru="Выезд на вызов о домашнем насилии",
    title_en="Responding to a domestic violence call",
    credit_hours=1,
    completed_on=date(2026, 3, 16),
    serial="2026-000042",
    code="7K3M9QXA2BDF4GHJ5NPR6STV8WYZ",
    verify_url="https://trainer.example.org/verify/7K3M9QXA2BDF4GHJ5NPR6STV8WYZ",
    organisation="Учебный центр",
    signature="И. И. Иванов, начальник учебного центра",
)


def run(tool: str, pdf: bytes, tmp_path) -> str:
    path = tmp_path / "certificate.pdf"
    path.write_bytes(pdf)
    args = [tool, str(path), "-"] if tool == "pdftotext" else [tool, str(path)]
    return subprocess.run(args, capture_output=True, text=True, check=True).stdout


def squeezed(text: str) -> str:
    """Without whitespace: a wrapped name reads the same as on one line."""
    return "".join(text.split())


@needs_poppler
@pytest.mark.parametrize("lang", ["ru", "en", "both"])
def test_text_reads_back_with_the_cyrillic_name_title_and_code(lang, tmp_path):
    text = run("pdftotext", render_certificate(DATA, lang), tmp_path)
    assert squeezed(LONG_NAME) in squeezed(text)
    assert "7K3M 9QXA 2BDF 4GHJ 5NPR 6STV 8WYZ" in text  # printed in groups of four
    assert "2026-000042" in text
    if lang in ("ru", "both"):
        assert "Выезд на вызов о домашнем насилии" in text
        assert "16 марта 2026 г." in text
        assert "1 академический час" in text
    if lang in ("en", "both"):
        assert "Responding to a domestic violence call" in text
        assert "March 16, 2026" in text
    if lang == "en":
        assert "СЕРТИФИКАТ" not in text and "Выезд на вызов" not in text


@needs_poppler
@pytest.mark.parametrize("lang", ["ru", "en", "both"])
def test_every_font_is_embedded(lang, tmp_path):
    lines = run("pdffonts", render_certificate(DATA, lang), tmp_path).splitlines()[2:]
    assert lines, "no fonts listed"
    for line in lines:
        name, *_, emb, _sub, _uni, _obj, _gen = line.split()
        assert emb == "yes", line
        assert "DejaVu" in name and "Helvetica" not in name


def test_pypdf_extracts_the_cyrillic_name_and_reads_the_metadata():
    reader = PdfReader(io.BytesIO(render_certificate(DATA, "ru")))
    [page] = reader.pages
    assert squeezed(LONG_NAME) in squeezed(page.extract_text())
    assert LONG_NAME in reader.metadata.title
    assert reader.metadata.author == "Учебный центр"
    width, height = float(page.mediabox.width), float(page.mediabox.height)
    assert (round(width), round(height)) == (842, 595)  # A4 landscape


def test_the_same_data_renders_the_same_bytes():
    assert render_certificate(DATA, "both") == render_certificate(DATA, "both")
    assert render_certificate(DATA, "ru") != render_certificate(replace(DATA, code="X" * 32), "ru")


def test_renders_in_well_under_a_second():
    render_certificate(DATA, "both")  # fonts load once per process
    # The CPU time of this process: the other pass of `make test` shares the machine's cores.
    started = time.process_time()
    render_certificate(DATA, "both")
    assert time.process_time() - started < 0.5


def test_the_qr_code_links_to_the_verification_page():
    reader = PdfReader(io.BytesIO(render_certificate(DATA, "en")))
    links = [a.get_object()["/A"]["/URI"] for a in reader.pages[0]["/Annots"]]
    assert links == [DATA.verify_url]


def test_a_long_name_shrinks_then_wraps_within_the_column():
    size, lines = fit(LONG_NAME, SERIF_BOLD, 30, BODY_WIDTH, 2, 17)
    assert 17 <= size <= 30 and len(lines) == 2
    assert all(text_width(line, SERIF_BOLD, size) <= BODY_WIDTH for line in lines)
    short_size, [short] = fit("Анна Смирнова", SERIF_BOLD, 30, BODY_WIDTH, 2, 17)
    assert (short_size, short) == (30, "Анна Смирнова")
    long_title = "Очень длинное название учебного модуля " * 6
    size, lines = fit(long_title, SERIF_BOLD, 19, BODY_WIDTH, 3, 12)
    assert all(text_width(line, SERIF_BOLD, size) <= BODY_WIDTH for line in lines)


@needs_poppler
def test_a_very_long_title_in_both_languages_still_renders_every_word(tmp_path):
    title = "Взаимодействие полиции, суда и кризисных центров при домашнем насилии " * 3
    data = replace(DATA, title_ru=title.strip(), title_en=("Cooperation of agencies " * 8).strip())
    text = squeezed(run("pdftotext", render_certificate(data, "both"), tmp_path))
    assert squeezed(title) in text
    assert squeezed(LONG_NAME) in text


@pytest.mark.parametrize(
    ("hours", "lang", "expected"),
    [
        (1, "ru", "Объём: 1 академический час"),
        (3, "ru", "Объём: 3 академических часа"),
        (5, "ru", "Объём: 5 академических часов"),
        (21, "ru", "Объём: 21 академический час"),
        (1.5, "ru", "Объём: 1,5 академического часа"),
        (1.5, "en", "Credit hours: 1.5"),
    ],
)
def test_credit_hours_agree_with_the_number(hours, lang, expected):
    assert hours_text(hours, lang) == expected


def test_a_configured_logo_is_drawn(tmp_path):
    logo = tmp_path / "logo.png"
    Image.new("RGBA", (300, 120), (29, 78, 137, 255)).save(logo)
    reader = PdfReader(io.BytesIO(render_certificate(replace(DATA, logo_path=str(logo)), "ru")))
    images = reader.pages[0].images
    assert len(images) == 1 and images[0].image.size == (300, 120)


@needs_poppler
def test_a_long_organisation_and_signature_are_printed_whole(tmp_path):
    organisation = "Академия управления Министерства внутренних дел Российской Федерации " * 2
    signature = "Ольга Петровна Петрова-Водкина, руководитель программы повышения квалификации"
    data = replace(DATA, organisation=organisation.strip(), signature=signature)
    text = squeezed(run("pdftotext", render_certificate(data, "ru"), tmp_path))
    assert squeezed(organisation.upper()) in text
    assert squeezed(signature) in text


def test_the_printed_qr_code_decodes_to_the_verification_address(tmp_path):
    (tmp_path / "c.pdf").write_bytes(render_certificate(DATA, "both"))
    pdftoppm = ["pdftoppm", "-png", "-r", "150", "-singlefile"]
    subprocess.run([*pdftoppm, str(tmp_path / "c.pdf"), str(tmp_path / "c")], check=True)
    zbar = ["zbarimg", "--quiet", "--raw", str(tmp_path / "c.png")]
    decoded = subprocess.run(zbar, capture_output=True, text=True).stdout.split()
    assert decoded == [DATA.verify_url]


def test_certificates_rendered_at_once_in_threads_are_all_whole():
    """reportlab's font subsetting reads the shared font file with a shared position: two
    threads of one worker rendering at once gave a KeyError (a 500 to a learner downloading a
    certificate, 2 of 16,000 in make bench). Threads switched as often as possible here."""
    # Different letters: a different font subset for each.
    names = [
        "Анна Петрова",
        "Юрий Щукин",
        "Zoë Smith",
        "Эльвира Ёлкина",
        "Jack Quill",
        "Фёдор Жуков",
    ]
    expected = {
        name: render_certificate(replace(DATA, learner_name=name), "both") for name in names
    }
    before = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)
    try:
        with ThreadPoolExecutor(16) as pool:
            rendered = list(
                pool.map(
                    lambda name: (
                        name,
                        render_certificate(replace(DATA, learner_name=name), "both"),
                    ),
                    names * 16,
                )
            )
    finally:
        sys.setswitchinterval(before)
    assert all(pdf == expected[name] for name, pdf in rendered)
