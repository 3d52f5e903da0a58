"""A captured terminal pane (``tmux capture-pane -p``) drawn as a PNG.

``test_observability.py`` draws the ``timeline tail`` screen it captured next to its text (``tail.png`` in the
test's temporary folder); ``docs/images/tail.png`` is a copy of one.
"""
from __future__ import annotations

from pathlib import Path

from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

LINE_HEIGHT_IN = 0.19
CHAR_WIDTH_IN = 0.083


def render(text: str, out: Path) -> None:
    lines = text.rstrip("\n").splitlines()
    width = max(len(line) for line in lines) * CHAR_WIDTH_IN + 0.4
    figure = Figure(figsize=(width, len(lines) * LINE_HEIGHT_IN + 0.3), facecolor="#1e1e1e")
    FigureCanvasAgg(figure)
    figure.text(0.2 / width, 1 - 0.15 / (len(lines) * LINE_HEIGHT_IN + 0.3), "\n".join(lines), va="top",
                ha="left", family="monospace", fontsize=10, color="#e0e0e0", linespacing=1.35)
    figure.savefig(out, dpi=110, facecolor=figure.get_facecolor())
