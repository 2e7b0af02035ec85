from __future__ import annotations

from pathlib import Path

import pytest
from pytest_django import Settings


@pytest.fixture(autouse=True)
def attachment_dir(settings: Settings, tmp_path: Path) -> Path:
    """Each test keeps its attachments in a directory of its own."""
    directory = tmp_path / "attachments"
    settings.ATTACHMENT_DIR = directory
    return directory
