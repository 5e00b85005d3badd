"""CSV downloads made safe to open in a spreadsheet (OWASP CSV injection).

A cell that starts with a formula character (`=hyperlink(...)`, `+cmd|...`, `@SUM`, `-2+3`, a tab
or carriage return, or their fullwidth forms) would run as a formula in Excel, LibreOffice or
Sheets: it is prefixed with a single quote and quoted. Everything else is written as it came;
--raw-csv turns this off.
"""

from __future__ import annotations

import csv
import io

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "\uff1d", "\uff0b", "\uff0d", "\uff20")
NEEDS_QUOTES = (",", '"', "\r", "\n")


def neutralise_csv(text: str) -> str:
    line_end = "\r\n" if "\r\n" in text else "\n"
    try:
        rows = list(csv.reader(io.StringIO(text, newline="")))
    except csv.Error:  # a malformed or oversized cell: neutralise every comma-separated piece instead
        rows = [line.split(",") for line in text.splitlines()]
    return line_end.join(",".join(cell_text(cell) for cell in row) for row in rows)


def cell_text(cell: str) -> str:
    if cell.startswith(FORMULA_STARTS):
        return '"' + "'" + cell.replace('"', '""') + '"'
    if any(ch in cell for ch in NEEDS_QUOTES):
        return '"' + cell.replace('"', '""') + '"'
    return cell
