"""The docs keep up with the code: every setting and check id is documented."""

from __future__ import annotations

import re
from pathlib import Path

from django_aws_api_gateway_websockets import checks
from django_aws_api_gateway_websockets.conf import DEFAULTS, SETTING_TYPES

DOCS = Path(__file__).resolve().parents[2] / "docs"


def test_every_websockets_key_is_documented_and_typed() -> None:
    settings_page = (DOCS / "settings.md").read_text()
    missing = [key for key in DEFAULTS if f"`{key}`" not in settings_page]
    assert missing == [], f"add these WEBSOCKETS keys to docs/settings.md: {missing}"
    assert set(SETTING_TYPES) == set(DEFAULTS)


def test_every_check_id_is_documented() -> None:
    source = Path(checks.__file__).read_text()
    ids = set(re.findall(r"dagw\.[EW]\d{3}", source))
    assert ids, "checks.py defines no check ids?"
    settings_page = (DOCS / "settings.md").read_text()
    assert sorted(i for i in ids if i not in settings_page) == []


def test_every_doc_link_points_at_an_existing_page() -> None:
    pages = [*DOCS.glob("*.md"), DOCS.parent / "README.md"]
    broken = []
    for page in pages:
        for target in re.findall(r"\]\(([^)#]+\.md)(?:#[^)]*)?\)", page.read_text()):
            if not (page.parent / target).exists():
                broken.append(f"{page.name} -> {target}")
    assert broken == []
