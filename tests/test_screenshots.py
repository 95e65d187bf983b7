"""scripts/screenshots.py, the README's screenshots from a fresh build of the sample, run for real into a
temporary folder."""

from __future__ import annotations

import struct
import subprocess
import sys

from conftest import REPO

SCRIPT = REPO / "scripts" / "screenshots.py"
EXPECTED = {"home.png": 1100, "article.png": 1100, "runbook.png": 1100, "runbook-phone.png": 375,  # name: width
            "known-issue.png": 1100, "defects.png": 1100, "health.png": 1100}


def png_size(data: bytes) -> tuple[int, int]:
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and data[12:16] == b"IHDR", "not a PNG file"
    return struct.unpack(">II", data[16:24])


def test_screenshots_script_writes_every_picture(tmp_path):
    run = subprocess.run([sys.executable, str(SCRIPT), str(tmp_path)], capture_output=True, text=True,
                         timeout=300)
    assert run.returncode == 0, run.stderr
    assert run.stdout.split() == [str(tmp_path / name) for name in EXPECTED]
    for name in EXPECTED:
        data = (tmp_path / name).read_bytes()
        width, height = png_size(data)
        assert width == EXPECTED[name] and 600 <= height <= 20_000, (name, width, height)
        assert len(data) > 20_000, f"{name} is only {len(data)} bytes: an empty page?"


def test_readme_shows_the_screenshots():
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    for name in EXPECTED:
        assert f"](docs/screenshots/{name})" in readme
        assert (REPO / "docs" / "screenshots" / name).is_file()
