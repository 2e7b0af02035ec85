"""Rows to CSV text, one line at a time. Pure: no Django, no database.

Lines are produced lazily so that a web response or a file can be written
while the rows are still being read: memory stays flat for a large practice.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator, Sequence

from openipt.reports.research.cells import Cell, neutralise


class _Line:
    """A file-like sink that hands back what csv.writer wrote for one row."""

    def __init__(self) -> None:
        self.buffer = io.StringIO()

    def write(self, text: str) -> int:
        return self.buffer.write(text)

    def take(self) -> str:
        text = self.buffer.getvalue()
        self.buffer.seek(0)
        self.buffer.truncate()
        return text


def csv_lines(header: Sequence[str], rows: Iterable[Sequence[Cell]]) -> Iterator[str]:
    """The header line, then one line per row (RFC 4180: CRLF, quotes where needed)."""
    line = _Line()
    writer = csv.writer(line, lineterminator="\r\n")
    writer.writerow([neutralise(name) for name in header])
    yield line.take()
    width = len(header)
    for row in rows:
        if len(row) != width:
            # A row that does not fit its header would shift every column after it.
            raise ValueError(f"A research row has {len(row)} cells for {width} columns.")
        writer.writerow(row)
        yield line.take()
