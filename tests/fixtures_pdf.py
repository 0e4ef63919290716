"""Rendering PDFs to PNG with poppler's pdftoppm, so tests look at pages the way a reader would.

pdftoppm comes from Debian's poppler-utils. When it is missing, the session fixture installs it with apt-get
(as root, or through passwordless sudo) and fails loudly, with apt's own words, if it cannot.
"""

from __future__ import annotations

import io
import os
import shutil
import subprocess
from pathlib import Path

import pytest
from PIL import Image
from pypdf import PdfReader

DPI = 60
MM = DPI / 25.4


def _apt(*args: str) -> subprocess.CompletedProcess[str]:
    prefix = [] if os.geteuid() == 0 else ["sudo", "-n"]
    return subprocess.run(
        [*prefix, "apt-get", *args],
        env={**os.environ, "DEBIAN_FRONTEND": "noninteractive"},
        capture_output=True,
        text=True,
        timeout=600,
    )


@pytest.fixture(scope="session")
def pdftoppm() -> str:
    found = shutil.which("pdftoppm")
    if found:
        return found
    if os.geteuid() != 0 and shutil.which("sudo") is None:
        pytest.fail(
            "pdftoppm is missing and installing poppler-utils needs root or sudo: apt-get install poppler-utils"
        )
    install = _apt("install", "-y", "--no-install-recommends", "poppler-utils")
    if install.returncode != 0:  # an image without package lists: fetch them, then try again
        update = _apt("update")
        install = _apt("install", "-y", "--no-install-recommends", "poppler-utils")
        if install.returncode != 0:
            pytest.fail(
                "pdftoppm is missing and apt-get could not install poppler-utils:\n"
                f"apt-get update: {update.stderr.strip()[-800:]}\napt-get install: {install.stderr.strip()[-800:]}"
            )
    found = shutil.which("pdftoppm")
    if not found:
        pytest.fail("apt-get installed poppler-utils but pdftoppm is still not on PATH")
    return found


def render_pages(pdftoppm: str, pdf: bytes, directory: Path, name: str = "page") -> list[Path]:
    """Every page as a PNG at DPI dots per inch, in page order."""
    directory.mkdir(parents=True, exist_ok=True)
    source = directory / f"{name}.pdf"
    source.write_bytes(pdf)
    subprocess.run(
        [pdftoppm, "-r", str(DPI), "-png", str(source), str(directory / name)], check=True, timeout=120
    )
    pages = sorted(directory.glob(f"{name}-*.png"), key=lambda p: int(p.stem.rsplit("-", 1)[1]))
    return pages


def content_ink(png: Path) -> float:
    """Share of non-white pixels inside the text area (the frame's band and footer excluded)."""
    with Image.open(png) as image:
        grey = image.convert("L")
        width, height = grey.size
        box = (int(18 * MM), int(14 * MM), width - int(18 * MM), height - int(18 * MM))
        area = grey.crop(box)
        histogram = area.histogram()
        dark = sum(histogram[:240])
        return dark / (area.size[0] * area.size[1])


def page_texts(pdf: bytes) -> list[str]:
    reader = PdfReader(io.BytesIO(pdf))
    # Non-breaking spaces (thousands, units) become plain ones so assertions read naturally.
    return [page.extract_text().replace("\xa0", " ") for page in reader.pages]


def assert_pages_readable(pdftoppm: str, pdf: bytes, directory: Path, *, min_ink: float = 0.01) -> list[str]:
    """Every page renders, carries real content (not just the frame), text and its "Page n / N"."""
    pages = render_pages(pdftoppm, pdf, directory)
    texts = page_texts(pdf)
    assert len(pages) == len(texts) >= 1
    for number, (png, text) in enumerate(zip(pages, texts, strict=True), start=1):
        ink = content_ink(png)
        assert ink >= min_ink, f"page {number} looks blank: {ink:.2%} of its text area is inked"
        assert f"Page {number} / {len(pages)}" in text
        assert len(text.split()) > 20, f"page {number} has almost no text"
    return texts
