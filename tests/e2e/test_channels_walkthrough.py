"""docs/channels.md followed on the README's project, as a reader would paste it.

The README's project is made as the README says; then "Add channels to the
README's chat" changes its view, page and test (read from channels.md's
blocks marked ``<!-- example: NAME -->``), the test passes, and Chromium shows
what the page sends, what the shell publishes and, after the local gateway
was stopped and started again, what the page missed. The page of "In the
browser", the rules module and the revoke lines run too, as written.
"""

from __future__ import annotations

import re
import signal
from pathlib import Path

from playwright.sync_api import Browser, Page, expect

from .documented import manage_args, named_files, on_ports, shell_block, shell_code
from .new_project import TIMEOUT_SECONDS, NewProject
from .pages import BROWSER_MARKS
from .stack import free_port
from .test_readme_walkthrough import VIEW_CLASS, with_testing_doc_examples

pytestmark = BROWSER_MARKS

DOCS = Path(__file__).resolve().parents[2]
README = (DOCS / "README.md").read_text()
CHANNELS = (DOCS / "docs" / "channels.md").read_text()
EXAMPLE = re.compile(r"<!-- example: (?P<name>[^>]+?) -->\n```\w*\n(?P<code>.*?)```", re.S)
# "start `python manage.py runwebsocketgateway --port 8001` (or the port you chose ...) again"
RESTART = re.compile(r"start `(?P<command>python manage\.py runwebsocketgateway [^`]*)`")
# The import the view no longer uses, which channels.md says a linter may flag.
UNUSED_IMPORT = "from django_aws_api_gateway_websockets.models import WebSocketSession\n"
TEST_FUNCTION = re.compile(r"^def test_chat_reaches_the_room\(.*?(?=\n\n\n|\Z)", re.S | re.M)
SECRET = "a-secret-made-for-this-test"
# The page reconnects with backoff (up to half a minute, channels.md says).
RECONNECT_MS = 60_000


# channels.md has the reader run changepassword, which asks on a terminal.
CARL_PASSWORD = (
    "from django.contrib.auth.models import User; "
    "carl = User.objects.get(username='carl'); carl.set_password('carl-password'); carl.save()"
)
# channels.md's two console lines, waiting for the event they log.
REFUSED_SUBSCRIBE = """() => new Promise((resolve) => {
    socket.addEventListener("error", (event) => resolve(event.detail));
    socket.subscribe("staff-kitchen");
})"""


def channels_examples() -> dict[str, str]:
    return {m["name"]: m["code"] for m in EXAMPLE.finditer(CHANNELS)}


def replaced(pattern: re.Pattern[str], text: str, replacement: str) -> str:
    new, count = pattern.subn(lambda _: replacement.rstrip("\n"), text, count=1)
    assert count == 1, f"{pattern.pattern} not in:\n{text}"
    return new


def readme_project(root: Path, http_port: int, ws_port: int) -> NewProject:
    """README steps 1 to 6 and 9's files: the project before channels.md."""
    files = {path: on_ports(code, http_port, ws_port) for path, code in named_files(README).items()}
    project = NewProject(root, exported={"WEBSOCKETS_GATEWAY_SECRET": SECRET})
    project.python("-m", "django", "startproject", "mysite", ".")
    project.python("manage.py", "startapp", "chat")
    project.sh(shell_block(README, "rm chat/tests.py"))
    settings = files.pop("mysite/settings.py")
    settings = settings.replace("...,  # what startproject wrote", "*INSTALLED_APPS,")
    with (root / "mysite/settings.py").open("a") as written:
        written.write("\n" + settings)
    for path, code in files.items():
        (root / path).parent.mkdir(parents=True, exist_ok=True)
        (root / path).write_text(code)
    project.python("manage.py", "migrate", "-v", "0")
    gateway = on_ports(shell_code(README, "ApiGateway.objects.create"), http_port, ws_port)
    project.python("manage.py", "shell", "-c", gateway)
    return project


def log_in(chromium: Browser, site: str, path: str, username: str = "pat") -> Page:
    page = chromium.new_context().new_page()
    page.set_default_timeout(TIMEOUT_SECONDS * 1000)
    page.goto(f"{site}{path}")  # LoginRequiredMixin sends it to /accounts/login/
    page.fill("#id_username", username)
    page.fill("#id_password", f"{username}-password")
    page.click("button")
    page.wait_for_url(f"{site}{path}")
    return page


def test_channels_walkthrough_on_the_readme_project(browser: Browser, tmp_path: Path) -> None:
    http_port, ws_port = free_port(), free_port()
    site = f"http://127.0.0.1:{http_port}"
    project = readme_project(tmp_path, http_port, ws_port)
    run = project.python
    users = (
        "from django.contrib.auth.models import User; "
        "User.objects.create_user('pat', password='pat-password'); "
        "User.objects.create_user('bob')"
    )
    run("manage.py", "shell", "-c", users)

    # The three changes, as channels.md gives them.
    examples = channels_examples()
    views = tmp_path / "chat/views.py"
    views.write_text(
        replaced(VIEW_CLASS, views.read_text(), examples["chat/views.py ChatSocketView"])
    )
    (tmp_path / "chat/templates/room.html").write_text(examples["chat/templates/room.html"])
    test_file = tmp_path / "chat/tests/test_chat.py"
    test_file.write_text(
        replaced(TEST_FUNCTION, test_file.read_text(), examples["test_chat_reaches_the_room"])
    )
    tested = run("-m", "pytest", "-q", "-p", "no:cacheprovider", "-p", "no:randomly")
    assert "1 passed" in tested, tested

    # The reference's rules module and whole page, in the same project.
    (tmp_path / "chat/websocket_channels.py").write_text(examples["chat/websocket_channels.py"])
    (tmp_path / "chat/templates/rooms.html").write_text(examples["chat/templates/rooms.html"])
    urls, listed = tmp_path / "mysite/urls.py", "urlpatterns = [\n"
    assert listed in urls.read_text()
    rooms_url = "    " + examples["mysite/urls.py rooms"]
    urls.write_text(urls.read_text().replace(listed, listed + rooms_url, 1))
    assert "System check identified no issues" in run("manage.py", "check")
    # What the rules say of a user who is not staff, asked as channels.md shows.
    tried = run("manage.py", "shell", "--verbosity", "0", "-c", shell_code(CHANNELS, "carl"))
    assert tried.strip() == "False {'name': 'carl'}", tried

    publish = shell_code(CHANNELS, "hello from the shell")
    servers = on_ports(shell_block(README, "python manage.py runserver"), http_port, ws_port)
    runserver, gateway_args = map(manage_args, servers.splitlines())
    restart = RESTART.search(CHANNELS)
    assert restart is not None
    restart_args = manage_args(on_ports(restart["command"], http_port, ws_port))
    try:
        project.serve(*runserver, "--noreload", port=http_port)
        project.serve(*gateway_args, port=ws_port)

        room = log_in(browser, site, "/room/")
        messages = room.locator("#messages li")
        room.fill("input[name=text]", "hello channels")
        room.press("input[name=text]", "Enter")
        expect(messages).to_have_text(["pat: hello channels"])
        assert "seq=2" in run("manage.py", "shell", "-c", publish)
        expect(messages).to_have_text(["pat: hello channels", "shell: hello from the shell"])

        # Offline and back: Ctrl-C stops the gateway; what was published meanwhile shows.
        gateway = project.servers.pop()
        gateway.send_signal(signal.SIGINT)
        gateway.wait(timeout=TIMEOUT_SECONDS)
        assert "seq=3" in run("manage.py", "shell", "-c", publish)
        project.serve(*restart_args, port=ws_port)
        expect(messages).to_have_count(3, timeout=RECONNECT_MS)
        expect(messages.nth(2)).to_have_text("shell: hello from the shell")

        # "Channel rules" from a page: carl (not staff) is refused staff-kitchen.
        run("manage.py", "shell", "-c", CARL_PASSWORD)
        carl = log_in(browser, site, "/room/", username="carl")
        refused = carl.evaluate(REFUSED_SUBSCRIBE)
        assert (refused["kind"], refused["reason"]) == (
            "undelivered",
            "Not allowed to join this channel.",
        )
        assert "staff-kitchen" not in carl.evaluate("() => socket.channels")

        # "In the browser": a presence list from the rule's info, and a second channel.
        rooms = log_in(browser, site, "/rooms/")
        expect(rooms.locator("#members")).to_have_text("pat")
        run("manage.py", "shell", "-c", publish.replace("'lobby'", "'room-2'"))
        expect(rooms.locator("#messages li")).to_have_text(
            ['room-2: {"user":"shell","text":"hello from the shell"}']
        )
    finally:
        project.stop()

    # "Revocation", pasted into the shell as written.
    revoked = run("manage.py", "shell", "-c", examples["revoke"])
    assert "Traceback" not in revoked, revoked

    # docs/testing.md after this walk-through, as it says: its view and its
    # test_chat.py replace the walk-through's, and the import removed here
    # after channels.md comes back.
    views.write_text(views.read_text().replace(UNUSED_IMPORT, "", 1))
    assert with_testing_doc_examples(tmp_path) == [UNUSED_IMPORT.rstrip("\n")]
    tested = run("-m", "pytest", "-q", "-p", "no:cacheprovider", "-p", "no:randomly")
    assert "10 passed" in tested, tested
