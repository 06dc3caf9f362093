"""The overview's chart of the last runs, drawn on the server as SVG (no script, no CDN).

Bars are the changes each run applied, stacked by kind (additions, removals, access,
profiles and blocks); the line is each run's duration on its own axis at the right.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from html import escape

from sync.store import RunDetail

WIDTH, HEIGHT = 1080, 260
LEFT, RIGHT, TOP, BOTTOM = 44, 52, 16, 34
SERIES = (
    ("added", "#2f7d4f", ("add_member", "create_group", "rename_group")),
    ("removed", "#b8443b", ("remove_member", "delete_group")),
    ("access", "#3568a8", ("grant_access", "update_access", "revoke_access")),
    (
        "profiles and blocks",
        "#8a6bb0",
        ("set_profile", "clear_profile", "add_block", "remove_block"),
    ),
)
STATUS_COLOUR = {"ok": "#2f7d4f", "partial": "#c98a1b", "failed": "#b8443b", "held": "#c98a1b"}


def _duration(detail: RunDetail) -> float:
    s = detail.summary
    if not s.finished_at:
        return 0.0
    start, end = datetime.fromisoformat(s.started_at), datetime.fromisoformat(s.finished_at)
    return max((end - start).total_seconds(), 0.0)


def _nice(top: float) -> float:
    """A round axis maximum at or above ``top``."""
    if top <= 0:
        return 1.0
    step = 1.0
    while step * 10 < top:
        step *= 10
    for factor in (1, 2, 2.5, 5, 10):
        if step * factor >= top:
            return step * factor
    return step * 10


def runs_chart(runs: Sequence[RunDetail]) -> str:
    """An SVG of ``runs`` (oldest first), with a legend and a title for each bar."""
    runs = list(runs)[-30:]
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {HEIGHT}" '
        f'role="img" aria-label="changes and duration of the last {len(runs)} runs" '
        'class="chart" font-family="system-ui, sans-serif" font-size="11">'
    ]
    if not runs:
        out.append(
            f'<text x="{WIDTH / 2}" y="{HEIGHT / 2}" text-anchor="middle" fill="#667">'
            "no runs yet</text></svg>"
        )
        return "".join(out)
    totals = [
        [sum(r.summary.counts.get(k, 0) for k in kinds) for _, _, kinds in SERIES] for r in runs
    ]
    top = _nice(max(sum(t) for t in totals))
    durations = [_duration(r) for r in runs]
    top_seconds = _nice(max(durations))
    slot = plot_w / len(runs)
    bar = min(max(slot * 0.64, 2.0), 28.0)
    for i in range(5):  # grid and left axis
        y = TOP + plot_h * i / 4
        value = top * (4 - i) / 4
        seconds = top_seconds * (4 - i) / 4
        out.append(
            f'<line x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{y:.1f}" y2="{y:.1f}" stroke="#e3e6ea"/>'
            f'<text x="{LEFT - 6}" y="{y + 4:.1f}" text-anchor="end" fill="#667">'
            f"{value:g}</text>"
            f'<text x="{WIDTH - RIGHT + 6}" y="{y + 4:.1f}" fill="#667">{seconds:g}s</text>'
        )
    points = []
    for index, (run, parts) in enumerate(zip(runs, totals, strict=True)):
        x = LEFT + slot * index + (slot - bar) / 2
        y = TOP + plot_h
        label = ", ".join(f"{n} {name}" for (name, _, _), n in zip(SERIES, parts, strict=True) if n)
        title = escape(
            f"run {run.summary.id} {run.summary.status.value}: {label or 'no changes'}; "
            f"{durations[index]:.1f}s"
        )
        out.append(f"<g><title>{title}</title>")
        for (_, colour, _), n in zip(SERIES, parts, strict=True):
            if not n:
                continue
            h = plot_h * n / top
            y -= h
            out.append(
                f'<rect x="{x:.1f}" y="{y:.1f}" width="{bar:.1f}" height="{h:.1f}" '
                f'fill="{colour}"/>'
            )
        status = STATUS_COLOUR.get(run.summary.status.value, "#8a929c")
        out.append(
            f'<rect x="{x:.1f}" y="{TOP + plot_h + 3}" width="{bar:.1f}" height="4" '
            f'fill="{status}"/></g>'
        )
        cx = LEFT + slot * index + slot / 2
        cy = TOP + plot_h - plot_h * durations[index] / top_seconds
        points.append(f"{cx:.1f},{cy:.1f}")
    out.append(
        f'<polyline points="{" ".join(points)}" fill="none" stroke="#222b36" '
        'stroke-width="1.5" stroke-dasharray="4 3"/>'
    )
    first, last = runs[0].summary.id, runs[-1].summary.id
    out.append(
        f'<text x="{LEFT}" y="{HEIGHT - 8}" fill="#667">run {first}</text>'
        f'<text x="{WIDTH - RIGHT}" y="{HEIGHT - 8}" text-anchor="end" fill="#667">'
        f"run {last}</text>"
    )
    x = LEFT + 70
    for name, colour, _ in SERIES:
        out.append(
            f'<rect x="{x}" y="{HEIGHT - 17}" width="10" height="10" fill="{colour}"/>'
            f'<text x="{x + 14}" y="{HEIGHT - 8}" fill="#333">{escape(name)}</text>'
        )
        x += 24 + 7 * len(name)
    out.append(
        f'<line x1="{x}" x2="{x + 18}" y1="{HEIGHT - 12}" y2="{HEIGHT - 12}" stroke="#222b36" '
        f'stroke-dasharray="4 3"/><text x="{x + 22}" y="{HEIGHT - 8}" fill="#333">duration</text>'
    )
    out.append("</svg>")
    return "".join(out)
