"""README's "Use it in your project", followed as written on a fresh startproject.

The code is read from README.md itself (settings, views, URLs, templates, the
command-line client, the shell commands and the test's layout), so the
walk-through cannot go stale: the steps run in the README's order, with free
ports instead of 8000 and 8001, and a plain (not staff) user chats from the
command line. Then docs/testing.md's examples join the project's tests, which
pytest and ``manage.py test`` both run.
"""

from __future__ import annotations

import re
import time
from pathlib import Path
from typing import Any

from playwright.sync_api import Browser

from tests.testing_helpers.test_plugin_in_a_project import documented_examples

from .documented import manage_args, named_files, on_ports, shell_block, shell_code
from .new_project import TIMEOUT_SECONDS, NewProject
from .pages import BROWSER_MARKS
from .stack import free_port

pytestmark = BROWSER_MARKS

README = (Path(__file__).resolve().parents[2] / "README.md").read_text()
VIEW_CLASS = re.compile(r"^class ChatSocketView\(WebSocketView\):\n.*?(?=\n\n\n|\Z)", re.S | re.M)
SECRET = "a-secret-made-for-this-test"


def with_testing_doc_examples(project: Path) -> list[str]:
    """docs/testing.md's view (its ChatSocketView in the README's views.py), rule and tests.

    As the page says: the class replaces the file's, whose other code and
    imports stay, and the snippet's imports missing from the file are added.
    Returns the imports that were added.
    """
    examples = documented_examples()
    view_code = examples.pop("chat/views.py")
    documented_view = VIEW_CLASS.search(view_code)
    assert documented_view is not None
    views = project / "chat/views.py"
    code = VIEW_CLASS.sub(lambda _: documented_view[0], views.read_text(), count=1)
    imports = [line for line in view_code.splitlines() if line.startswith(("from ", "import "))]
    missing = [line for line in imports if line not in code.splitlines()]
    views.write_text("".join(f"{line}\n" for line in missing) + code)
    assert documented_view[0] in views.read_text()
    for path, code in examples.items():
        # The README's test package, and the app's channel rules.
        assert path.startswith("chat/tests/test_") or path == "chat/websocket_channels.py", path
        (project / path).write_text(code)
    return missing


def in_a_browser(chromium: Browser, site: str, username: str, password: str) -> None:
    """Step 7 in Chromium: log in on the page /room/ sends to; "hello" comes back."""
    context = chromium.new_context()
    missing: list[str] = []
    context.on("response", lambda r: missing.append(r.url) if r.status == 404 else None)
    page = context.new_page()
    logged: list[Any] = []  # the page's console.log() values
    errors: list[str] = []  # such as a 404 (Chromium's favicon request is no "response")
    page.on(
        "console",
        lambda message: (
            logged.append(message.args[0].json_value())
            if message.type == "log"
            else errors.append(message.text)
        ),
    )
    page.goto(f"{site}/room/")
    page.fill("#id_username", username)
    page.fill("#id_password", password)
    page.click("button")
    page.wait_for_url(f"{site}/room/")
    deadline = time.monotonic() + TIMEOUT_SECONDS
    while {"user": username, "text": "hello"} not in logged:
        assert time.monotonic() < deadline, f"not logged: {logged}"
        page.wait_for_timeout(100)  # lets the page's events run
    # Browsers ask every site for /favicon.ico: not a 404 on every page.
    assert page.request.get(f"{site}/favicon.ico").status == 204
    assert missing == [] and errors == []
    context.close()


def test_the_readme_walkthrough_works_as_written(browser: Browser, tmp_path: Path) -> None:
    http_port, ws_port = free_port(), free_port()
    files = {path: on_ports(code, http_port, ws_port) for path, code in named_files(README).items()}
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

    project = NewProject(tmp_path, exported={"WEBSOCKETS_GATEWAY_SECRET": SECRET})
    run = project.python

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
    unset = run("manage.py", "check", exported=False, check=False)
    # The README quotes the traceback's last line.
    assert (
        unset.strip()
        .splitlines()[-1]
        .startswith(
            "django.core.exceptions.ImproperlyConfigured: WEBSOCKETS_GATEWAY_SECRET is not set: "
        )
    ), unset
    assert "KeyError" not in unset
    assert "System check identified no issues" in run("manage.py", "check")

    run("manage.py", "migrate", "-v", "0")
    create_gateway = on_ports(shell_code(README, "ApiGateway.objects.create"), http_port, ws_port)
    run("manage.py", "shell", "-c", create_gateway)
    make_user = (
        "from django.contrib.auth.models import User; "
        "User.objects.create_user('pat', password='pat-password')"  # not staff
    )
    run("manage.py", "shell", "-c", make_user)

    # Step 6's two terminals, on the ports the README says to change together.
    servers = on_ports(shell_block(README, "python manage.py runserver"), http_port, ws_port)
    runserver, gateway = map(manage_args, servers.splitlines())
    try:
        project.serve(*runserver, "--noreload", port=http_port)
        project.serve(*gateway, port=ws_port)

        # The client needs no secret.
        client = project.popen("try_chat.py", "pat", "pat-password", exported=False)
        assert client.stdout is not None
        first = client.stdout.readline()
        assert "hi from the terminal" in first, first + client.stdout.read()
        # The client is connected (it got its own broadcast): the shell's send reaches it.
        sent = run("manage.py", "shell", "-c", shell_code(README, "hello from the shell"))
        assert re.search(r"sent_ids=\('[^']+',\)", sent), sent
        output, _ = client.communicate(timeout=TIMEOUT_SECONDS)
        assert client.returncode == 0, output
        assert "hello from the shell" in output

        in_a_browser(browser, f"http://127.0.0.1:{http_port}", "pat", "pat-password")
    finally:
        project.stop()

    # Step 9: the tests package replaces startapp's tests.py, and the user's own test passes.
    assert (tmp_path / "chat/tests.py").exists()
    project.sh(shell_block(README, "rm chat/tests.py"))
    for path, code in test_files.items():
        (tmp_path / path).write_text(code)
    pytest_args = ("-m", "pytest", "-q", "-p", "no:cacheprovider", "-p", "no:randomly")
    tested = run(*pytest_args)
    assert "1 passed" in tested, tested

    # docs/testing.md's examples in the same package: both runners run them.
    assert with_testing_doc_examples(tmp_path) == []  # the README's views.py has them
    tested = run(*pytest_args)
    assert "10 passed" in tested, tested
    django_tested = run("manage.py", "test")
    assert "Ran 1 test" in django_tested and re.search(r"^OK$", django_tested, re.M), django_tested
