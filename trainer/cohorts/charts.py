"""Charts drawn on the server as inline SVG: no JavaScript, and no style attributes (the CSP
allows only the stylesheet), so shapes take fill/stroke attributes and CSS classes. Each chart
is an image with a title; the page shows the same numbers in a table beside it."""

from datetime import date

from markupsafe import Markup, escape

WIDTH, HEIGHT = 560, 220
LEFT, RIGHT, TOP, BOTTOM = 44, 16, 12, 34
PLOT_W, PLOT_H = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM


def _svg(label: str, body: list[str]) -> Markup:
    title = escape(label)
    # Safe: every part is built from numbers and escape()d text.
    return Markup(  # noqa: S704
        f'<svg class="chart" viewBox="0 0 {WIDTH} {HEIGHT}" width="100%" role="img" '
        f'aria-label="{title}" xmlns="http://www.w3.org/2000/svg"><title>{title}</title>'
        + "".join(body)
        + "</svg>"
    )


def _y_axis(maximum: int) -> list[str]:
    parts = []
    for tick in sorted({0, maximum // 2, maximum}):
        y = TOP + PLOT_H - (tick / maximum * PLOT_H if maximum else 0)
        parts.append(
            f'<line class="grid" x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{y:.1f}" y2="{y:.1f}"/>'
            f'<text class="tick" x="{LEFT - 6}" y="{y + 4:.1f}" text-anchor="end">{tick}</text>'
        )
    return parts


def completion_chart(series: list[tuple[date, int]], total: int, label: str, date_label) -> Markup:
    """Cumulative completions per day as a stepped line, 0 to `total` learners."""
    maximum = max(total, 1)
    parts = _y_axis(maximum)
    if series:
        step = PLOT_W / max(len(series) - 1, 1)
        points = " ".join(
            f"{LEFT + i * step:.1f},{TOP + PLOT_H - done / maximum * PLOT_H:.1f}"
            for i, (_day, done) in enumerate(series)
        )
        parts.append(f'<polyline class="line" fill="none" points="{points}"/>')
        for x, anchor, day in (
            (LEFT, "start", series[0][0]),
            (WIDTH - RIGHT, "end", series[-1][0]),
        ):
            parts.append(
                f'<text class="tick" x="{x}" y="{HEIGHT - 10}" text-anchor="{anchor}">'
                f"{escape(date_label(day))}</text>"
            )
    return _svg(label, parts)


def histogram_chart(bins, label: str) -> Markup:
    """One bar per score bin; bars are labelled with the bin's lower edge."""
    maximum = max([b.count for b in bins] + [1])
    parts = _y_axis(maximum)
    slot = PLOT_W / len(bins)
    for i, b in enumerate(bins):
        height = b.count / maximum * PLOT_H
        x = LEFT + i * slot
        parts.append(
            f'<rect class="bar" x="{x + 2:.1f}" y="{TOP + PLOT_H - height:.1f}" '
            f'width="{slot - 4:.1f}" height="{height:.1f}"/>'
            f'<text class="tick" x="{x + slot / 2:.1f}" y="{HEIGHT - 10}" '
            f'text-anchor="middle">{b.low}</text>'
        )
    return _svg(label, parts)
