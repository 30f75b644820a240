"""What the panel draws from its records: a row's cells and the GPU strip's rows.

Every row here may wrap: the notebook's default width must never need a horizontal
scrollbar (fixed widths side by side in a row that cannot wrap did).
"""

from __future__ import annotations

import html

import ipywidgets as widgets

from ..core.models import GpuView
from .layout import wrapping_row
from .model import Row, gpu_bars


def with_tooltip(text: str, tooltip: str) -> str:
    """TEXT as HTML, with TOOLTIP shown on hover (the exact start time behind "Up 3 minutes")."""
    if not tooltip:
        return html.escape(text)
    return f"<span title='{html.escape(tooltip, quote=True)}'>{html.escape(text)}</span>"


def row_cells(row: Row) -> list[widgets.HTML]:
    """A container row's cells: name (and kernel), image, status (start time on hover), GPUs, ports."""
    kernel = f"<br><small>{html.escape(row.kernel)}</small>" if row.kernel else ""
    started = f"started {row.started}" if row.started else ""
    return [
        widgets.HTML(f"<b>{html.escape(row.name)}</b>{kernel}", layout=widgets.Layout(width="170px")),
        widgets.HTML(html.escape(row.image), layout=widgets.Layout(width="230px")),
        widgets.HTML(with_tooltip(row.status, started), layout=widgets.Layout(width="190px")),
        widgets.HTML(f"GPU {html.escape(row.gpus)}", layout=widgets.Layout(width="70px")),
        widgets.HTML(html.escape(row.ports), layout=widgets.Layout(width="150px")),
    ]


def gpu_rows(view: GpuView) -> tuple[list[widgets.Widget], list[str]]:
    """The GPU strip's rows (or why there are none), and the Run form's GPU choices."""
    if not view.available or not view.gpus:
        reason = view.reason or "NVML answers, but this machine has no GPUs."
        return [widgets.HTML(f"<i>{html.escape(reason)}</i>")], []
    bars = gpu_bars(view)
    children: list[widgets.Widget] = []
    for bar in bars:
        memory = widgets.FloatProgress(value=bar.memory_fraction, min=0, max=1, description="memory")
        utilization = widgets.FloatProgress(value=bar.utilization_fraction, min=0, max=1, description="util")
        children.append(wrapping_row([widgets.HTML(f"<b>{html.escape(bar.label)}</b>", layout=widgets.Layout(width="220px")),
                                      memory, utilization, widgets.HTML(f"used by: {html.escape(bar.users)}")]))
    return children, [f"GPU {b.index}{' (free)' if b.free else ''}" for b in bars]
