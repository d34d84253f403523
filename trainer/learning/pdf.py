"""The certificate PDF, drawn with reportlab from plain data: same data, same bytes.

Only bundled TrueType fonts are used, all embedded (the canvas's initial font is one of them, so
no unembedded Helvetica sneaks in), and the document is built in reportlab's invariant mode.
"""

import io
import itertools
import math
import threading
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from babel import Locale
from babel.dates import format_date
from babel.numbers import format_decimal
from reportlab.graphics.barcode import qrencoder
from reportlab.lib.colors import HexColor
from reportlab.lib.pagesizes import A4, landscape
from reportlab.lib.utils import ImageReader
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen.canvas import Canvas

FONT_DIR = Path(__file__).resolve().parent.parent / "static" / "fonts"
SANS, SANS_BOLD = "DejaVuSans", "DejaVuSans-Bold"
SERIF, SERIF_BOLD, SERIF_ITALIC = "DejaVuSerif", "DejaVuSerif-Bold", "DejaVuSerif-Italic"
FONTS = (SANS, SANS_BOLD, SERIF, SERIF_BOLD, SERIF_ITALIC)

PAGE_WIDTH, PAGE_HEIGHT = landscape(A4)
NAVY, GOLD = HexColor("#1b2f55"), HexColor("#a8843a")
INK, MUTED, PAPER = HexColor("#1f2328"), HexColor("#5a6270"), HexColor("#fdfbf5")
BODY_WIDTH = 620  # the central column, in points
BODY_TOP, BODY_BOTTOM = PAGE_HEIGHT - 118, 160  # below the header, above the signature row

# The fixed wording, per language: a certificate is printed in the learner's language.
TEXTS = {
    "ru": {
        "title": "СЕРТИФИКАТ",
        "subtitle": "о прохождении обучения",
        # By the learner's grammatical gender where the patronymic tells it, else a neutral
        # passive: never "освоил(а)".
        "certify": "Настоящим удостоверяется, что",
        "certify_f": "Настоящим удостоверяется, что",
        "certify_n": "Слушатель",
        "completed": "успешно освоил учебный модуль",
        "completed_f": "успешно освоила учебный модуль",
        "completed_n": "успешно завершено обучение по учебному модулю",
        "hours": "Объём: {hours} {unit}",
        "date": "Дата завершения: {date}",
        "serial": "Сертификат № {serial}",
        "code": "Код проверки",
        "verify": "Проверка подлинности",
        "signatory": "Уполномоченное лицо",
        "specimen": "ОБРАЗЕЦ",
        "document": "Сертификат",
    },
    "en": {
        "title": "CERTIFICATE",
        "subtitle": "of completion",
        "certify": "This is to certify that",
        "completed": "has successfully completed the training module",
        "hours": "Credit hours: {hours}",
        "date": "Completed on {date}",
        "serial": "Certificate No. {serial}",
        "code": "Verification code",
        "verify": "Verify at",
        "signatory": "Authorised signatory",
        "specimen": "SPECIMEN",
        "document": "Certificate",
    },
}
HOUR_UNITS_RU = {
    "one": "академический час",
    "few": "академических часа",
    "many": "академических часов",
    "other": "академического часа",
}
LANG_CHOICES = ("ru", "en", "both")


@dataclass(frozen=True)
class CertificateData:
    """Everything a certificate shows; built from the stored record (or sample data)."""

    learner_name: str
    title_ru: str
    title_en: str
    credit_hours: float
    completed_on: date
    serial: str
    code: str
    verify_url: str
    organisation: str
    signature: str = ""
    logo_path: str | None = None
    specimen: bool = False


@dataclass(frozen=True)
class Line:
    """One centred line of the body, with the space above it."""

    text: str
    font: str
    size: float
    color: object = INK
    gap: float = 0
    char_space: float = 0
    rule: bool = False  # an ornamental rule instead of text

    @property
    def height(self) -> float:
        return self.gap + (14 if self.rule else self.size * 1.22)


# reportlab's fonts are shared by the process, and subsetting one for a document reads its file
# with a position kept on the font: two threads rendering at once read each other's places
# (KeyError, IndexError: a 500 for a certificate download). One rendering at a time per worker:
# it is almost all CPU work under the GIL, so threads gained little by overlapping it.
_RENDERING = threading.Lock()


def render_certificate(data: CertificateData, lang: str) -> bytes:
    """The certificate as PDF bytes; lang is "ru", "en" or "both" (Russian above English)."""
    with _RENDERING:
        return _render(data, lang)


def _render(data: CertificateData, lang: str) -> bytes:
    register_fonts()
    langs = ("ru", "en") if lang == "both" else (lang,)
    buffer = io.BytesIO()
    canvas = Canvas(
        buffer,
        pagesize=(PAGE_WIDTH, PAGE_HEIGHT),
        invariant=1,
        pageCompression=1,
        initialFontName=SANS,
        initialFontSize=10,
        lang=langs[0],
    )
    canvas.setFont(SANS, 10)
    _metadata(canvas, data, langs[0])
    _frame(canvas)
    if data.specimen:
        _watermark(canvas, langs)
    _header(canvas, data)
    _draw_body(canvas, _fit_body(data, langs))
    _signature(canvas, data, langs)
    _seal(canvas, data)
    _verification(canvas, data, langs)
    canvas.showPage()
    canvas.save()
    return buffer.getvalue()


def register_fonts() -> None:
    registered = set(pdfmetrics.getRegisteredFontNames())
    for name in FONTS:
        if name not in registered:
            pdfmetrics.registerFont(TTFont(name, str(FONT_DIR / f"{name}.ttf")))


def _metadata(canvas: Canvas, data: CertificateData, lang: str) -> None:
    canvas.setTitle(f"{TEXTS[lang]['document']} {data.serial}: {data.learner_name}")
    canvas.setAuthor(data.organisation)
    canvas.setSubject(data.title_en if lang == "en" else data.title_ru)
    canvas.setCreator("Trainer")


# Text helpers ---------------------------------------------------------------------------------


def text_width(text: str, font: str, size: float, char_space: float = 0) -> float:
    return pdfmetrics.stringWidth(text, font, size) + char_space * max(len(text) - 1, 0)


def wrap(text: str, font: str, size: float, width: float) -> list[str]:
    """Greedy word wrap; a word wider than the line may break after one of its hyphens."""
    lines: list[str] = []
    for glue, piece in _pieces(text, font, size, width):
        candidate = f"{lines[-1]}{glue}{piece}" if lines else piece
        if lines and text_width(candidate, font, size) <= width:
            lines[-1] = candidate
        else:
            lines.append(piece)
    return lines


def _pieces(text: str, font: str, size: float, width: float) -> list[tuple[str, str]]:
    """(glue, piece) pairs: a space before each word, nothing inside a split hyphenated word."""
    pieces = []
    for word in text.split():
        if text_width(word, font, size) <= width or "-" not in word.strip("-"):
            pieces.append((" ", word))
            continue
        parts = word.split("-")
        split = [part + "-" for part in parts[:-1]] + [parts[-1]]
        pieces += [(" " if i == 0 else "", part) for i, part in enumerate(split) if part]
    return pieces


def fit(text: str, font: str, size: float, width: float, max_lines: int, min_size: float):
    """The largest size (and its lines) at which the text fits: shrink a little, then wrap."""
    for allowed in range(1, max_lines + 1):
        floor = min_size if allowed == max_lines else size * 0.75
        current = size
        while current >= floor:
            lines = wrap(text, font, current, width)
            if len(lines) <= allowed:
                return current, lines
            current -= 0.5
    return min_size, wrap(text, font, min_size, width)


def fitted_lines(text, font, size, width, max_lines, min_size, **style) -> list[Line]:
    size, lines = fit(text, font, size, width, max_lines, min_size)
    first_gap = style.pop("gap", 0)
    return [
        Line(line, font, size, gap=first_gap if i == 0 else 0, **style)
        for i, line in enumerate(lines)
    ]


# Wording ---------------------------------------------------------------------------------------


def hours_text(hours: float, lang: str) -> str:
    number = format_decimal(hours, locale=lang)
    if lang == "en":
        return TEXTS["en"]["hours"].format(hours=number)
    unit = HOUR_UNITS_RU[Locale("ru").plural_form(hours)]  # 1 час, 2 часа, 5 часов, 1,5 часа
    return TEXTS["ru"]["hours"].format(hours=number, unit=unit)


def date_text(day: date, lang: str) -> str:
    return TEXTS[lang]["date"].format(date=format_date(day, "long", locale=lang))


def bilingual(key: str, langs: tuple[str, ...], sep: str = " / ") -> str:
    return sep.join(TEXTS[lang][key] for lang in langs)


FEMININE_PATRONYMIC = ("овна", "евна", "ична", "инична", "кызы")
MASCULINE_PATRONYMIC = ("ович", "евич", "ьич", "ич", "оглы")


def grammatical_gender(name: str) -> str | None:
    """Masculine ("m") or feminine ("f") where a Russian patronymic tells it, else None.

    A surname may end like a patronymic (Шевкович is a woman's surname too), so a masculine
    ending counts only in a full three-part name without a feminine one.
    """
    words = [word.lower().strip(".,") for word in name.split()]
    if any(word.endswith(FEMININE_PATRONYMIC) for word in words[1:]):
        return "f"
    if len(words) >= 3 and any(word.endswith(MASCULINE_PATRONYMIC) for word in words[1:]):
        return "m"
    return None


def worded(key: str, langs: tuple[str, ...], name: str) -> str:
    """A line that agrees with the learner in Russian: masculine, feminine or neutral."""
    suffix = {"m": "", "f": "_f", None: "_n"}[grammatical_gender(name)]
    return " / ".join(TEXTS[lang].get(key + suffix, TEXTS[lang][key]) for lang in langs)


# Body ------------------------------------------------------------------------------------------


def _body_lines(data: CertificateData, langs: tuple[str, ...], scale: float) -> list[Line]:
    primary, both = langs[0], len(langs) == 2
    s = scale
    lines = [Line(TEXTS[primary]["title"], SERIF_BOLD, 42 * s, NAVY, char_space=6 * s)]
    if both:
        lines.append(Line(TEXTS["en"]["title"], SERIF_BOLD, 17 * s, NAVY, char_space=4 * s))
    lines += [
        Line(bilingual("subtitle", langs, " · "), SERIF_ITALIC, 15 * s, MUTED, gap=2 * s),
        Line("", SANS, 1, rule=True, gap=8 * s),
        Line(worded("certify", langs, data.learner_name), SANS, 11.5 * s, MUTED, gap=10 * s),
    ]
    lines += fitted_lines(
        data.learner_name, SERIF_BOLD, 30 * s, BODY_WIDTH, 2, 17 * s, color=INK, gap=8 * s
    )
    completed = worded("completed", langs, data.learner_name)
    lines.append(Line(completed, SANS, 11.5 * s, MUTED, gap=10 * s))
    title = data.title_en if primary == "en" else data.title_ru
    lines += fitted_lines(title, SERIF_BOLD, 19 * s, BODY_WIDTH, 3, 12 * s, color=NAVY, gap=8 * s)
    if both:
        lines += fitted_lines(
            data.title_en, SERIF_ITALIC, 13 * s, BODY_WIDTH, 2, 10 * s, color=NAVY, gap=2 * s
        )
    for i, lang in enumerate(langs):
        details = (
            f"{hours_text(data.credit_hours, lang)}   ·   {date_text(data.completed_on, lang)}"
        )
        lines.append(Line(details, SANS, 11 * s, INK, gap=(12 if i == 0 else 1) * s))
    return lines


def _fit_body(data: CertificateData, langs: tuple[str, ...]) -> list[Line]:
    """Shrink everything together until the body fits between the header and the signatures."""
    scale = 1.0
    lines = _body_lines(data, langs, scale)
    while sum(line.height for line in lines) > BODY_TOP - BODY_BOTTOM and scale > 0.5:
        scale *= 0.95
        lines = _body_lines(data, langs, scale)
    return lines


def _draw_body(canvas: Canvas, lines: list[Line]) -> None:
    # Centred vertically in the space left, so that short certificates do not look top-heavy.
    total = sum(line.height for line in lines)
    y = BODY_TOP - (BODY_TOP - BODY_BOTTOM - total) / 2
    for line in lines:
        y -= line.height
        if line.rule:
            _ornament_rule(canvas, PAGE_WIDTH / 2, y + 5)
            continue
        canvas.setFillColor(line.color)
        canvas.setFont(line.font, line.size)
        canvas.drawCentredString(
            PAGE_WIDTH / 2, y + line.size * 0.22, line.text, charSpace=line.char_space
        )


def _ornament_rule(canvas: Canvas, x: float, y: float) -> None:
    canvas.setStrokeColor(GOLD)
    canvas.setFillColor(GOLD)
    canvas.setLineWidth(0.8)
    canvas.line(x - 120, y, x - 10, y)
    canvas.line(x + 10, y, x + 120, y)
    _diamond(canvas, x, y, 4)


def _diamond(canvas: Canvas, x: float, y: float, r: float) -> None:
    path = canvas.beginPath()
    path.moveTo(x, y + r)
    path.lineTo(x + r, y)
    path.lineTo(x, y - r)
    path.lineTo(x - r, y)
    path.close()
    canvas.drawPath(path, stroke=0, fill=1)


# Frame, header, seal ---------------------------------------------------------------------------


def _frame(canvas: Canvas) -> None:
    canvas.setFillColor(PAPER)
    canvas.rect(0, 0, PAGE_WIDTH, PAGE_HEIGHT, stroke=0, fill=1)
    canvas.setStrokeColor(NAVY)
    canvas.setLineWidth(4)
    canvas.rect(18, 18, PAGE_WIDTH - 36, PAGE_HEIGHT - 36)
    canvas.setStrokeColor(GOLD)
    canvas.setLineWidth(1.2)
    canvas.rect(27, 27, PAGE_WIDTH - 54, PAGE_HEIGHT - 54)
    canvas.setLineWidth(0.5)
    canvas.rect(31, 31, PAGE_WIDTH - 62, PAGE_HEIGHT - 62)
    canvas.setFillColor(GOLD)
    for x in (27, PAGE_WIDTH - 27):
        for y in (27, PAGE_HEIGHT - 27):
            _diamond(canvas, x, y, 7)


def _watermark(canvas: Canvas, langs: tuple[str, ...]) -> None:
    canvas.saveState()
    canvas.setFillColor(HexColor("#c0392b"))
    canvas.setFillAlpha(0.09)
    canvas.translate(PAGE_WIDTH / 2, PAGE_HEIGHT / 2)
    canvas.rotate(22)
    size, [text, *_] = fit(bilingual("specimen", langs, " · "), SERIF_BOLD, 96, 700, 1, 30)
    canvas.setFont(SERIF_BOLD, size)
    canvas.drawCentredString(0, -size / 3, text)
    canvas.restoreState()


def _header(canvas: Canvas, data: CertificateData) -> None:
    y = PAGE_HEIGHT - 62
    if data.logo_path:
        logo = ImageReader(data.logo_path)
        width, height = logo.getSize()
        w = min(width * 40 / height, 160)  # at most 40 high and 160 wide, in proportion
        h = w * height / width
        canvas.drawImage(logo, (PAGE_WIDTH - w) / 2, y - h + 14, w, h, mask="auto")
        y -= h + 4
    # A long official name shrinks, then takes a second line; never runs past the frame.
    size, lines = fit(data.organisation.upper(), SANS_BOLD, 11, BODY_WIDTH - 100, 2, 6.5)
    canvas.setFillColor(NAVY)
    canvas.setFont(SANS_BOLD, size)
    for line in lines:
        y -= size + 3
        canvas.drawCentredString(PAGE_WIDTH / 2, y, line, charSpace=0.8)


def _seal(canvas: Canvas, data: CertificateData) -> None:
    """A rosette: gold starburst, navy disc, the year of completion."""
    x, y = PAGE_WIDTH / 2, 98
    canvas.setFillColor(GOLD)
    path = canvas.beginPath()
    points = 36
    for i in range(points * 2):
        r = 44 if i % 2 == 0 else 39
        angle = math.pi * i / points
        px, py = x + r * math.cos(angle), y + r * math.sin(angle)
        path.moveTo(px, py) if i == 0 else path.lineTo(px, py)
    path.close()
    canvas.drawPath(path, stroke=0, fill=1)
    canvas.setFillColor(NAVY)
    canvas.circle(x, y, 35, stroke=0, fill=1)
    canvas.setStrokeColor(GOLD)
    canvas.setLineWidth(0.8)
    canvas.circle(x, y, 31, stroke=1, fill=0)
    canvas.setFillColor(GOLD)
    canvas.setFont(SERIF_BOLD, 15)
    canvas.drawCentredString(x, y - 5, str(data.completed_on.year))
    for dx in (-14, 14):
        _diamond(canvas, x + dx, y + 14, 2.2)
    _diamond(canvas, x, y + 16, 2.8)


# Signature and verification ----------------------------------------------------------------------


def _signature(canvas: Canvas, data: CertificateData, langs: tuple[str, ...]) -> None:
    left, right, y = 80, 320, 100
    canvas.setStrokeColor(INK)
    canvas.setLineWidth(0.7)
    canvas.line(left, y, right, y)
    centre = (left + right) / 2
    size, lines = fit(data.signature or data.organisation, SANS, 10, right - left, 2, 7)
    canvas.setFillColor(INK)
    canvas.setFont(SANS, size)
    for line in lines:
        y -= size + 4
        canvas.drawCentredString(centre, y, line)
    canvas.setFillColor(MUTED)
    canvas.setFont(SANS, 8)
    canvas.drawCentredString(centre, y - 12, bilingual("signatory", langs))


CODE_GROUP = 4


def grouped_code(code: str) -> str:
    """A verification code as printed: groups of four, separated by spaces."""
    return " ".join(code[i : i + CODE_GROUP] for i in range(0, len(code), CODE_GROUP))


QR_SIZE = 86
VERIFY_TEXT_WIDTH = 205  # between the seal and the QR code


def _verification(canvas: Canvas, data: CertificateData, langs: tuple[str, ...]) -> None:
    qr_x, qr_y = PAGE_WIDTH - 52 - QR_SIZE, 50
    canvas.setFillColor(HexColor("#ffffff"))
    canvas.rect(qr_x, qr_y, QR_SIZE, QR_SIZE, stroke=0, fill=1)
    _qr(canvas, data.verify_url, qr_x, qr_y, QR_SIZE)
    canvas.linkURL(data.verify_url, (qr_x, qr_y, qr_x + QR_SIZE, qr_y + QR_SIZE), relative=0)
    y = qr_y + QR_SIZE - 8
    for font, size, color, text in _verification_rows(data, langs):
        size, [line, *_] = fit(text, font, size, VERIFY_TEXT_WIDTH, 1, 5)
        canvas.setFillColor(color)
        canvas.setFont(font, size)
        canvas.drawRightString(qr_x - 10, y, line)
        y -= size + 4.5


def _verification_rows(data: CertificateData, langs: tuple[str, ...]) -> list[tuple]:
    # The QR code opens the full address; printed is the page where the code can be typed.
    page = data.verify_url.removesuffix(data.code).rstrip("/")
    serials = [
        (SANS_BOLD, 9, INK, TEXTS[lang]["serial"].format(serial=data.serial)) for lang in langs
    ]
    return [
        *serials,
        (SANS, 7.5, MUTED, bilingual("code", langs)),
        (SANS_BOLD, 8.5, NAVY, grouped_code(data.code)),
        (SANS, 7.5, MUTED, bilingual("verify", langs)),
        (SANS, 7.5, INK, page),
    ]


def _qr(canvas: Canvas, value: str, x: float, y: float, size: float) -> None:
    """The QR code (error correction M, a quiet zone of 2 modules), its dark modules drawn as
    one filled path. reportlab's QrCodeWidget built a shape object per run of modules and
    encoded the value twice (for its bounds, then to draw): 70% of a certificate's 35 ms."""
    code = qrencoder.QRCode(None, qrencoder.QRErrorCorrectLevel.M)
    code.addData(value)
    code.make()
    count, border = code.getModuleCount(), 2
    module = size / (count + 2 * border)
    path = canvas.beginPath()
    for row, modules in enumerate(code.modules):
        column = 0
        for dark, run in itertools.groupby(map(bool, modules)):
            length = len(list(run))
            if dark:
                top = y + size - (row + border) * module
                path.rect(x + (column + border) * module, top - module, length * module, module)
            column += length
    canvas.setFillColor(NAVY)
    canvas.drawPath(path, stroke=0, fill=1)
