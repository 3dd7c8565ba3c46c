"""The HTML pieces every part of the report uses: escaping, numbers with their intervals, tables.

The markup sticks to what Qt's QTextDocument (the PDF) supports: HTML 4 tables with cellpadding and
border attributes, simple inline CSS.
"""

from __future__ import annotations

import html
import math
from collections.abc import Sequence
from collections.abc import Set as AbstractSet

# A table cell: its html, (html, rows it spans) where it starts a span, None under a span.
Cell = str | tuple[str, int] | None


def esc(text) -> str:
    return html.escape("" if text is None else str(text))


def num(x, digits: int) -> str:
    if x is None or (isinstance(x, float) and not math.isfinite(x)):
        return "-"
    return f"{x:.{digits}f}"


def with_ci(value, lo, hi, unit: str, digits: int) -> str:
    if value is None:
        return "-"
    text = f"{num(value, digits)} {unit}"
    if lo is not None and hi is not None:
        text += f" ({num(lo, digits)} to {num(hi, digits)})"
    return text



def table(headers: list[str], rows: Sequence[Sequence[Cell]], numeric: AbstractSet[int] = frozenset(),
           classes: Sequence[dict[int, str | None]] | None = None, widths: list[int] | None = None) -> str:
    # <thead>: Qt repeats the header row on every page a table runs onto (QTextTableFormat's header
    # rows), so a row carried over to the next page is never without its header; browsers do too.
    out = ['<table class="grid" width="100%" cellspacing="0" cellpadding="4" border="1">', "<thead><tr>"]
    out += [f"<th{f' width={chr(34)}{widths[i]}%{chr(34)}' if widths else ''}>{h}</th>" for i, h in enumerate(headers)]
    out.append("</tr></thead><tbody>")
    for r, row in enumerate(rows):
        out.append("<tr>")
        for c, cell in enumerate(row):
            rowspan = ""
            if cell is None:
                continue
            if isinstance(cell, tuple):
                cell, n = cell
                rowspan = f' rowspan="{n}"' if n > 1 else ""
            verdict = classes[r].get(c) if classes else None
            cls = []
            if c in numeric:
                cls.append("num")
            if verdict:
                cls.append(verdict)
            attr = f' class="{" ".join(cls)}"' if cls else ""
            align = ' align="right"' if c in numeric else ""
            colours = {"improved": ' style="color:#1d6b34; font-weight:bold"',
                       "worse": ' style="color:#a52a2a; font-weight:bold"'}
            colour = colours.get(verdict, "") if verdict is not None else ""
            out.append(f"<td{attr}{align}{colour}{rowspan}>{cell}</td>")
        out.append("</tr>")
    out.append("</tbody></table>")
    return "\n".join(out)
