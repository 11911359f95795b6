"""A markdown table printer shared by the landscape benchmark's scripts."""

from __future__ import annotations


def table(header: list[str], rows: list[list]) -> None:
    widths = [max(len(str(row[i])) for row in [header] + rows) for i in range(len(header))]

    def line(row):
        cells = (str(v).rjust(w) if i > 0 else str(v).ljust(w) for i, (v, w) in enumerate(zip(row, widths)))
        return "| " + " | ".join(cells) + " |"

    print(line(header))
    print("|" + "|".join("-" * (w + 1) + ":" if i > 0 else ":" + "-" * (w + 1) for i, w in enumerate(widths)) + "|")
    for row in rows:
        print(line(row))
    print()
