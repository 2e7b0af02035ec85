"""Reading a rendered PDF as a person would: its text (pdftotext) and its pages as PNGs."""

from __future__ import annotations

import subprocess
import tempfile
from pathlib import Path

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "reports"


def pdf_text(pdf: bytes) -> str:
    """The PDF's text in reading order (poppler's pdftotext, layout kept)."""
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "report.pdf"
        path.write_bytes(pdf)
        result = subprocess.run(  # noqa: S603 - fixed command, our own temporary file
            ["/usr/bin/pdftotext", "-layout", str(path), "-"],
            check=True,
            capture_output=True,
        )
    return result.stdout.decode("utf-8")


def save_pages(pdf: bytes, name: str) -> list[Path]:
    """Each page as a PNG in test-artifacts/reports/<name>-<n>.png, to look at after the run."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    for old in ARTIFACTS.glob(f"{name}-*.png"):
        old.unlink()
    source = ARTIFACTS / f"{name}.pdf"
    source.write_bytes(pdf)
    subprocess.run(  # noqa: S603 - fixed command, our own files
        ["/usr/bin/pdftoppm", "-png", "-r", "60", str(source), str(ARTIFACTS / name)],
        check=True,
        capture_output=True,
    )
    return sorted(ARTIFACTS.glob(f"{name}-*.png"))
