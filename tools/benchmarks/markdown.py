"""The markdown table printer the benchmark scripts share."""

from __future__ import annotations


def table(header: list[str], rows: list[list], blank_line_after: bool = False) -> None:
    """Prints a markdown table: the first column left-aligned, the others right-aligned."""
    widths = [max(len(str(row[i])) for row in [header] + rows) for i in range(len(header))]

    def line(row):
        cells = (str(v).rjust(w) if i > 0 else str(v).ljust(w) for i, (v, w) in enumerate(zip(row, widths)))
        return "| " + " | ".join(cells) + " |"

    print(line(header))
    print("|" + "|".join("-" * (w + 1) + ":" if i > 0 else ":" + "-" * (w + 1) for i, w in enumerate(widths)) + "|")
    for row in rows:
        print(line(row))
    if blank_line_after:
        print()
