"""README's "Use it in your project", followed as written on a fresh startproject.

The code is read from README.md itself (settings, views, URLs, templates, the
command-line client, the shell commands and the test's layout), so the
walk-through cannot go stale: the steps run in the README's order, with free
ports instead of 8000 and 8001, and a plain (not staff) user chats from the
command line. Then docs/testing.md's examples join the project's tests, which
pytest and ``manage.py test`` both run.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import urllib.request
from pathlib import Path

import pytest

from tests.testing_helpers.test_plugin_in_a_project import documented_examples

from .stack import free_port, wait_for_port

pytestmark = pytest.mark.e2e

REPO = Path(__file__).resolve().parents[2]
README = (REPO / "README.md").read_text()
VIEW_CLASS = re.compile(r"^class ChatSocketView\(WebSocketView\):\n.*?(?=\n\n\n|\Z)", re.S | re.M)
BLOCK = re.compile(r"```(?P<lang>\w*)\n(?P<code>.*?)```", re.S)
# A file's block starts with a comment naming it: "# chat/views.py", "<!-- x.html -->".
NAMED = re.compile(r"^(?:# |<!-- )(?P<path>[\w/.]+\.(?:py|html|ini))\b")
SHELL_CODE = re.compile(r'manage\.py shell -c "\n(?P<code>.*?)\n"', re.S)
TIMEOUT_SECONDS = 60
SECRET = "a-secret-made-for-this-test"


def readme_files() -> dict[str, str]:
    files = {}
    for block in BLOCK.finditer(README):
        named = NAMED.match(block["code"])
        if named:
            files[named["path"]] = block["code"]
    return files


def readme_shell_code(containing: str) -> str:
    (code,) = [m["code"] for m in SHELL_CODE.finditer(README) if containing in m["code"]]
    return code


def readme_shell_lines(containing: str) -> list[str]:
    (code,) = [
        block["code"]
        for block in BLOCK.finditer(README)
        if block["lang"] == "sh" and containing in block["code"]
    ]
    return code.splitlines()


def with_testing_doc_examples(project: Path) -> None:
    """docs/testing.md's view (its ChatSocketView in the README's views.py) and tests."""
    examples = documented_examples()
    documented_view = VIEW_CLASS.search(examples.pop("chat/views.py"))
    assert documented_view is not None
    views = project / "chat/views.py"
    views.write_text(VIEW_CLASS.sub(lambda _: documented_view[0], views.read_text(), count=1))
    assert documented_view[0] in views.read_text()
    for path, code in examples.items():
        assert path.startswith("chat/tests/test_"), path  # the README's test package
        (project / path).write_text(code)


def on_ports(code: str, http_port: int, ws_port: int) -> str:
    return code.replace("127.0.0.1:8000", f"127.0.0.1:{http_port}").replace(
        "127.0.0.1:8001", f"127.0.0.1:{ws_port}"
    )


def test_the_readme_walkthrough_works_as_written(tmp_path: Path) -> None:
    http_port, ws_port = free_port(), free_port()
    files = {path: on_ports(code, http_port, ws_port) for path, code in readme_files().items()}
    assert set(files) >= {
        "mysite/settings.py",
        "chat/views.py",
        "mysite/urls.py",
        "chat/templates/room.html",
        "chat/templates/registration/login.html",
        "try_chat.py",
        "pytest.ini",
        "chat/tests/test_chat.py",
    }
    # Step order: the app exists before the settings name it.
    assert README.index("python manage.py startapp chat") < README.index('"chat",  # your app')

    env = {
        key: value
        for key, value in os.environ.items()
        if key not in {"DJANGO_SETTINGS_MODULE", "PYTHONPATH", "WEBSOCKETS_GATEWAY_SECRET"}
    }
    env["PYTHONUNBUFFERED"] = "1"

    def run(*args: str, secret: bool = True, check: bool = True) -> str:
        result = subprocess.run(
            [sys.executable, *args],
            cwd=tmp_path,
            env={**env, "WEBSOCKETS_GATEWAY_SECRET": SECRET} if secret else env,
            capture_output=True,
            text=True,
            timeout=TIMEOUT_SECONDS,
            check=False,
        )
        if check:
            assert result.returncode == 0, result.stdout + result.stderr
        return result.stdout + result.stderr

    run("-m", "django", "startproject", "mysite", ".")
    run("manage.py", "startapp", "chat")
    settings = files.pop("mysite/settings.py").replace(
        "...,  # what startproject wrote", "*INSTALLED_APPS,"
    )
    with (tmp_path / "mysite/settings.py").open("a") as written:
        written.write("\n" + settings)
    # Step 9's files come at step 9, after its commands.
    test_files = {path: files.pop(path) for path in ("pytest.ini", "chat/tests/test_chat.py")}
    for path, code in files.items():
        (tmp_path / path).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / path).write_text(code)

    # A terminal without the secret is told so, not shown a KeyError.
    unset = run("manage.py", "check", secret=False, check=False)
    assert "WEBSOCKETS_GATEWAY_SECRET is not set" in unset
    assert "KeyError" not in unset
    assert "System check identified no issues" in run("manage.py", "check")

    run("manage.py", "migrate", "-v", "0")
    create_gateway = on_ports(readme_shell_code("ApiGateway.objects.create"), http_port, ws_port)
    run("manage.py", "shell", "-c", create_gateway)
    make_user = (
        "from django.contrib.auth.models import User; "
        "User.objects.create_user('pat', password='pat-password')"  # not staff
    )
    run("manage.py", "shell", "-c", make_user)

    servers = []
    try:
        for args, port in (
            (("runserver", f"127.0.0.1:{http_port}", "--noreload"), http_port),
            (("runwebsocketgateway", "--port", str(ws_port)), ws_port),
        ):
            server = subprocess.Popen(
                [sys.executable, "manage.py", *args],
                cwd=tmp_path,
                env={**env, "WEBSOCKETS_GATEWAY_SECRET": SECRET},
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
                text=True,
            )
            servers.append(server)
            wait_for_port(port, server)

        client = subprocess.Popen(
            [sys.executable, "try_chat.py", "pat", "pat-password"],
            cwd=tmp_path,
            env=env,  # the client needs no secret
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        assert client.stdout is not None
        first = client.stdout.readline()
        assert "hi from the terminal" in first, first + client.stdout.read()
        # The client is connected (it got its own broadcast): the shell's send reaches it.
        sent = run("manage.py", "shell", "-c", readme_shell_code("hello from the shell"))
        assert re.search(r"sent_ids=\('[^']+',\)", sent), sent
        output, _ = client.communicate(timeout=TIMEOUT_SECONDS)
        assert client.returncode == 0, output
        assert "hello from the shell" in output

        # Browsers ask every page's site for /favicon.ico: not a 404 in the log.
        for path, status in (("/favicon.ico", 204), ("/accounts/login/", 200)):
            with urllib.request.urlopen(f"http://127.0.0.1:{http_port}{path}") as answer:
                assert answer.status == status, path
    finally:
        for server in servers:
            server.terminate()
            server.wait(timeout=TIMEOUT_SECONDS)

    # Step 9: the tests package replaces startapp's tests.py, and the user's own test passes.
    assert (tmp_path / "chat/tests.py").exists()
    for line in readme_shell_lines("rm chat/tests.py"):
        subprocess.run(line, shell=True, cwd=tmp_path, check=True, timeout=TIMEOUT_SECONDS)
    for path, code in test_files.items():
        (tmp_path / path).write_text(code)
    pytest_args = ("-m", "pytest", "-q", "-p", "no:cacheprovider", "-p", "no:randomly")
    tested = run(*pytest_args)
    assert "1 passed" in tested, tested

    # docs/testing.md's examples in the same package: both runners run them.
    with_testing_doc_examples(tmp_path)
    tested = run(*pytest_args)
    assert "6 passed" in tested, tested
    django_tested = run("manage.py", "test")
    assert "Ran 1 test" in django_tested and re.search(r"^OK$", django_tested, re.M), django_tested
