"""The docs keep up with the code: every setting and check id is documented."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import pytest

from django_aws_api_gateway_websockets import checks
from django_aws_api_gateway_websockets.conf import DEFAULTS, SETTINGS
from django_aws_api_gateway_websockets.settings_schema import ZERO, Setting
from django_aws_api_gateway_websockets.transport_options import BUILT_IN, Options

DOCS = Path(__file__).resolve().parents[2] / "docs"
_ROW = re.compile(r"^\| `(\w+)` \| (.+?) \| (.+?) \| (.+) \|$", re.MULTILINE)


def documented_websockets_keys() -> dict[str, tuple[str, str, str]]:
    """key -> (type, default, meaning) from the tables of docs/settings.md's WEBSOCKETS part."""
    page = (DOCS / "settings.md").read_text()
    section = page.split("## `WEBSOCKETS`", 1)[1].split("\n## ", 1)[0]
    return {key: (kind, default, meaning) for key, kind, default, meaning in _ROW.findall(section)}


def shown_default(value: object) -> str:
    return f'`"{value}"`' if isinstance(value, str) else f"`{value!r}`"


def test_every_websockets_key_is_documented_and_typed() -> None:
    settings_page = (DOCS / "settings.md").read_text()
    missing = [key for key in DEFAULTS if f"`{key}`" not in settings_page]
    assert missing == [], f"add these WEBSOCKETS keys to docs/settings.md: {missing}"
    documented = documented_websockets_keys()
    assert sorted(documented) == sorted(DEFAULTS), "docs/settings.md lists a key conf does not"


@pytest.mark.parametrize("setting", SETTINGS, ids=lambda setting: setting.name)
def test_each_documented_row_matches_its_declaration(setting: Setting[object]) -> None:
    kind, default, meaning = documented_websockets_keys()[setting.name]
    assert kind == setting.kind.shown
    assert default == shown_default(setting.default)
    assert meaning.startswith(setting.meaning), "the row starts with the declared meaning"
    # The page says every number is above 0 unless its row says what 0 does.
    if int in setting.kind.accepted:
        assert setting.minimum is not None, "declare the number's minimum"
    # A key that accepts 0 says what 0 does; dagw.E003 refuses 0 for every other number.
    assert ("`0`" in meaning) == (setting.minimum is ZERO)
    if setting.maximum is not None:
        assert f"At most {setting.maximum.limit}." in meaning


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


def documented_transport_options() -> dict[str, dict[str, tuple[str, str, str]]]:
    """transport -> option -> (type, default, meaning), from docs/settings.md's options part."""
    page = (DOCS / "settings.md").read_text()
    section = page.split("## Transport options", 1)[1].split("\n## ", 1)[0]
    tables = {}
    for part in section.split("\n### `")[1:]:
        name = part.split("`", 1)[0]
        tables[name] = {
            key: (kind, default, meaning) for key, kind, default, meaning in _ROW.findall(part)
        }
    return tables


@pytest.mark.parametrize("options", BUILT_IN, ids=lambda options: options.transport)
def test_each_transport_option_is_documented_as_declared(options: type[Options]) -> None:
    documented = documented_transport_options()[options.transport]
    declared = {option.name: option for option in options.declared()}

    assert sorted(documented) == sorted(declared)
    for name, (kind, default, meaning) in documented.items():
        option = declared[name]
        assert kind == option.kind.shown
        assert default == shown_default(option.default)
        assert meaning.startswith(option.meaning), name
        assert ("`0`" in meaning) == (option.minimum is ZERO), name


README = (DOCS.parent / "README.md").read_text()


def test_the_readme_states_the_python_and_django_versions_the_package_declares() -> None:
    project = tomllib.loads((DOCS.parent / "pyproject.toml").read_text())["project"]
    # "Programming Language :: Python :: 3.11" -> ("Programming Language :: Python", "3.11")
    classifiers = [c.rsplit(" :: ", 1) for c in project["classifiers"]]
    python = "Programming Language :: Python"
    pythons = [v for kind, v in classifiers if kind == python and "." in v]
    pythons.sort(key=lambda version: tuple(map(int, version.split("."))))
    djangos = [version for kind, version in classifiers if kind == "Framework :: Django"]
    readme = " ".join(README.split())
    assert project["requires-python"] == f">={pythons[0]}"
    assert f"Python {pythons[0]} to {pythons[-1]}" in readme
    assert all(f"Django {version}" in readme for version in djangos), djangos


def test_the_readme_names_every_place_that_holds_a_port_of_steps_6_and_7() -> None:
    steps = README.split("### 6.", 1)[1].split("### 8.", 1)[0]
    (places,) = [p for p in steps.split("\n\n") if p.startswith("These steps use port 8000")]
    named = re.findall(r"`([^`]+)`", places)
    code = "".join(re.findall(r"```\w*\n(.*?)```", steps, re.S))
    holding_a_port = [line for line in code.splitlines() if re.search(r"\b800[01]\b", line)]
    assert len(holding_a_port) == 4, holding_a_port
    assert [line for line in holding_a_port if not any(n in line for n in named)] == []
    # The addresses the reader opens, in the prose.
    prose = re.sub(r"```.*?```", "", steps, flags=re.S)
    pages = set(re.findall(r"http://127\.0\.0\.1:8000(/\S*?/)[,.)\s]", prose))
    assert pages == {"/room/", "/admin/"}
    assert all(any(page in n for n in named) for page in pages), pages
