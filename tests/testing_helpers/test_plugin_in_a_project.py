"""docs/testing.md's example runs in a new project with only the package and pytest-django.

The view and the tests are read from the page (the code blocks marked
``<!-- example: PATH -->``), written into a throwaway project next to a minimal
settings module, and run by pytest in a child process: the fixtures must come
from the installed package's ``pytest11`` entry point, not from this repository.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

DOCS = Path(__file__).resolve().parents[2] / "docs" / "testing.md"
EXAMPLE = re.compile(r"<!-- example: (?P<path>[\w/.]+) -->\n```python\n(?P<code>.*?)```", re.S)
PLUGIN_FIXTURES = ("ws_outbox", "ws_gateway", "ws_client", "ws_path")
TIMEOUT_SECONDS = 120

SETTINGS = """
SECRET_KEY = "throwaway"
USE_TZ = True
INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django_aws_api_gateway_websockets",
    "chat",
]
MIDDLEWARE = [
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
]
ROOT_URLCONF = "project.urls"
DATABASES = {"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": "db.sqlite3"}}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
STATIC_URL = "static/"  # as startproject writes it; live_server's static handler needs it
AWS_GATEWAY_REGION_NAME = "eu-west-1"
WEBSOCKETS = {"gateway_secret": "a-secret-only-this-project-knows"}
"""

URLS = """
from django.urls import path

from chat.views import ChatSocketView

urlpatterns = [path("ws/<slug:route>", ChatSocketView.as_view())]
"""

PYTEST_INI = """
[pytest]
DJANGO_SETTINGS_MODULE = project.settings
pythonpath = .
"""


def documented_examples() -> dict[str, str]:
    return {m["path"]: m["code"] for m in EXAMPLE.finditer(DOCS.read_text())}


def write(root: Path, files: dict[str, str]) -> None:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)


def run_pytest(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return run_python(cwd, "-m", "pytest", "-p", "no:cacheprovider", *args)


def run_python(
    cwd: Path, *args: str, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    # Nothing of this repository's test setup may leak into the child.
    clean_env = {
        key: value
        for key, value in os.environ.items()
        if key not in {"DJANGO_SETTINGS_MODULE", "PYTHONPATH", "WEBSOCKETS_GATEWAY_SECRET"}
    }
    return subprocess.run(
        [sys.executable, *args],
        cwd=cwd,
        env={**clean_env, **(env or {})},
        capture_output=True,
        text=True,
        timeout=TIMEOUT_SECONDS,
        check=False,
    )


@pytest.fixture
def project(tmp_path: Path) -> Path:
    examples = documented_examples()
    assert sorted(examples) == [
        "chat/tests/test_channel_rules.py",
        "chat/tests/test_chat.py",
        "chat/tests/test_publishing.py",
        "chat/tests/test_real_gateway.py",
        "chat/tests/test_without_fixtures.py",
        "chat/views.py",
        "chat/websocket_channels.py",
    ]
    write(
        tmp_path,
        {
            **examples,
            "chat/__init__.py": "",
            "chat/tests/__init__.py": "",
            "project/__init__.py": "",
            "project/settings.py": SETTINGS,
            "project/urls.py": URLS,
            "pytest.ini": PYTEST_INI,
        },
    )
    return tmp_path


def test_the_documented_example_passes(project: Path) -> None:
    tests = "".join(path.read_text() for path in (project / "chat/tests").glob("test_*.py"))
    documented_tests = len(re.findall(r"^\s*def test_", tests, re.M))

    result = run_pytest(project, "-q")

    assert result.returncode == 0, result.stdout + result.stderr
    assert f"{documented_tests} passed" in result.stdout
    assert documented_tests == 10


def test_djangos_runner_runs_the_testcase_and_imports_the_rest(project: Path) -> None:
    # `python manage.py test`: the TestCase runs; the pytest-style modules import cleanly.
    result = run_python(
        project, "-m", "django", "test", env={"DJANGO_SETTINGS_MODULE": "project.settings"}
    )

    assert result.returncode == 0, result.stdout + result.stderr
    assert "Ran 1 test" in result.stderr
    assert re.search(r"^OK$", result.stderr, re.M)


def test_the_fixtures_are_listed_without_an_import(project: Path) -> None:
    result = run_pytest(project, "--fixtures")

    assert result.returncode == 0, result.stdout + result.stderr
    assert "defined from django_aws_api_gateway_websockets.testing.pytest_plugin" in result.stdout
    for name in PLUGIN_FIXTURES:
        assert re.search(rf"^{name} -- ", result.stdout, re.M), name


def test_the_plugin_loads_without_django_settings_or_pytest_django(tmp_path: Path) -> None:
    write(tmp_path, {"test_plain.py": "def test_plain():\n    assert 1 + 1 == 2\n"})

    result = run_pytest(tmp_path, "-p", "no:django", "--fixtures")

    assert result.returncode == 0, result.stdout + result.stderr
    assert re.search(r"^ws_outbox -- ", result.stdout, re.M)


def test_loading_the_plugin_imports_neither_django_nor_boto3() -> None:
    # pytest imports it at start-up in every project that installed the package.
    code = (
        "import sys, django_aws_api_gateway_websockets.testing.pytest_plugin\n"
        "print(sorted({'django', 'boto3'} & set(sys.modules)))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=TIMEOUT_SECONDS
    )

    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"
