"""Fixtures shared by every test package. Each area keeps its own in its folder."""

from __future__ import annotations

import gc
import os
import socket
import sys
from collections.abc import Callable, Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractUser
from django.utils import timezone

from django_aws_api_gateway_websockets import aws
from django_aws_api_gateway_websockets.gateway_auth import clear_gateway_cache
from django_aws_api_gateway_websockets.models import ApiGateway, WebSocketSession
from django_aws_api_gateway_websockets.testing import WebSocketTestClient

API_ID = "testapi123"


@pytest.fixture(autouse=True)
def _fresh_caches() -> Iterator[None]:
    clear_gateway_cache()
    aws.clear_client_cache()
    yield
    clear_gateway_cache()
    aws.clear_client_cache()


@pytest.fixture(scope="session")
def refusing_port() -> Iterator[int]:
    """A loopback port this test run holds, where every connection is refused.

    The socket is bound but never listens: a connect gets a reset at once, as
    from a port nobody uses, and no other process (a developer's demo, say) can
    listen on it while the run holds it (no SO_REUSEADDR, so its bind fails).
    """
    with socket.socket() as held:
        held.bind(("127.0.0.1", 0))
        yield int(held.getsockname()[1])


@pytest.fixture
def gateway(db: None, refusing_port: int) -> ApiGateway:
    """The registered ``ApiGateway`` row of the test views (``API_ID``).

    Its Management API is ``refusing_port``: a send through it that a test did
    not capture (``ws_outbox``) or point at a stand-in of its own fails, and
    reaches nobody.
    """
    return ApiGateway.objects.create(
        api_name="Test API",
        target_base_endpoint="https://app.example.com/ws/",
        api_id=API_ID,
        api_endpoint=f"ws://127.0.0.1:{refusing_port}",
    )


# The demo's ports (example/: Django on 8000, its local gateway on 8001). Nothing
# a test starts listens there, so a connection there would reach whatever a
# developer is running beside the suite.
DEMO_PORTS = frozenset({8000, 8001})
LOOPBACK_HOSTS = frozenset({"127.0.0.1", "::1", "localhost"})
_demo_connects: list[tuple[str, int]] = []


def _refuse_demo_ports(event: str, args: tuple[Any, ...]) -> None:
    if event != "socket.connect":
        return
    address = args[1]
    if (
        isinstance(address, tuple)
        and len(address) >= 2
        and address[1] in DEMO_PORTS
        and str(address[0]) in LOOPBACK_HOSTS
    ):
        _demo_connects.append((str(address[0]), int(address[1])))
        raise ConnectionRefusedError(f"tests must not connect to the demo's port {address[1]}")


# Audit hooks cannot be removed; the hook is cheap and only ever refuses.
sys.addaudithook(_refuse_demo_ports)


@pytest.fixture(autouse=True)
def _no_connection_to_the_demo() -> Iterator[None]:
    """Fail a test whose process tried to connect to a demo port (the connect itself fails)."""
    _demo_connects.clear()
    yield
    tried, _demo_connects[:] = list(_demo_connects), []
    assert not tried, f"the test connected to the demo's ports: {tried}"


MakeSession = Callable[..., WebSocketSession]
# Older than WEBSOCKETS["connect_grace_seconds"]: a 410 for it means the connection is gone.
OPEN_FOR_A_WHILE = 60.0


@pytest.fixture
def make_session(db: None) -> MakeSession:
    """A session row of ``gateway`` (None: none) in ``channel_name`` ("chat" unless given).

    ``opened_seconds_ago`` backdates its ``created_on`` (``OPEN_FOR_A_WHILE``:
    a 410 for it means gone, not "still connecting").
    """

    def make(
        connection_id: str,
        gateway: ApiGateway | None,
        *,
        opened_seconds_ago: float | None = None,
        **fields: Any,
    ) -> WebSocketSession:
        fields.setdefault("channel_name", "chat")
        session = WebSocketSession.objects.create(
            connection_id=connection_id, api_gateway=gateway, **fields
        )
        if opened_seconds_ago is not None:
            session.created_on = timezone.now() - timedelta(seconds=opened_seconds_ago)
            WebSocketSession.objects.filter(pk=session.pk).update(created_on=session.created_on)
        return session

    return make


@pytest.fixture
def make_ws_client(gateway: ApiGateway) -> Callable[..., WebSocketTestClient]:
    """Factory: ``gateway`` (simulated) in front of the test view at ``path``."""

    def make(path: str = "/ws/", **kwargs: object) -> WebSocketTestClient:
        kwargs.setdefault("api_id", API_ID)
        return WebSocketTestClient(path, **kwargs)  # type: ignore[arg-type]

    return make


@pytest.fixture
def ws(make_ws_client: Callable[..., WebSocketTestClient]) -> WebSocketTestClient:
    """The test view at /ws/ behind ``gateway``; with no cookies, one client serves every tab."""
    return make_ws_client()


@pytest.fixture
def user(db: None) -> AbstractUser:
    return get_user_model().objects.create_user(  # type: ignore[no-any-return]
        username="alice", password="correct horse battery staple"
    )


# What each area's tests depend on, for the test matrix of scripts/test: an area
# that depends on neither the Django version nor the database runs in one leg
# only (docs/architecture.md, "The test matrix"). Paths are relative to tests/.
AREA_MARKERS = {
    "architecture": "django_free",
    "core/test_docs.py": "django_free",
    "core/test_wire.py": "django_free",
    "e2e/test_client_channels.py": "django_free",  # the JS client against a fake socket
    "local_gateway": "django_free",
    "provisioning": "django_free",
    "scripts": "django_free",
    "upgrade": "upgrade",
    # The docs' walk-throughs build a new project on its own SQLite file, whatever
    # the leg's database: once, on the newest Django.
    "e2e/test_channels_walkthrough.py": "walkthrough",
    "e2e/test_quickstart.py": "walkthrough",
    "e2e/test_readme_walkthrough.py": "walkthrough",
    "e2e/test_token_log_filter.py": "walkthrough",
    # The README's demo, likewise: scripts/demo runs on its own SQLite file with
    # .venv's Django, whatever the leg's, so a second leg would repeat it exactly.
    "e2e/test_demo_script.py": "walkthrough",
}
TESTS = Path(__file__).resolve().parent
# How a test in this process reaches the leg's database. A test with none of
# them (and no django_db mark) cannot tell SQLite from PostgreSQL.
DATABASE_FIXTURES = {"db", "transactional_db", "live_server", "django_db_serialized_rollback"}
# Tests that reach the database some other way (real processes, a 4.1.0 build),
# that are about one database, or that run in one leg anyway.
NOT_DATABASE_FREE = ("e2e", "browser", "chaos", "upgrade", "postgres_only", "django_free")


def area_marker(path: Path) -> str | None:
    relative = path.resolve().relative_to(TESTS).as_posix()
    for area, marker in AREA_MARKERS.items():
        if relative == area or relative.startswith(f"{area}/"):
            return marker
    return None


# Coverage's variables that make every Python process a test starts measure itself.
COVERAGE_SUBPROCESS_VARIABLES = ("COVERAGE_PROCESS_CONFIG", "COVERAGE_PROCESS_START")


def pytest_configure(config: pytest.Config) -> None:
    """In the leg scripts/test runs with DAGW_MEASURE_SUBPROCESSES=0, servers run unmeasured.

    The real-process tests run in two legs (the diagonal, docs/architecture.md)
    and start the same servers in both; measured, those servers took a seventh
    of the longer lane. One leg's measure of their code is enough.
    """
    if os.environ.get("DAGW_MEASURE_SUBPROCESSES") == "0":
        for name in COVERAGE_SUBPROCESS_VARIABLES:
            os.environ.pop(name, None)


def pytest_collection_finish(session: pytest.Session) -> None:
    """Freeze the heap the session has built so far: collections skip it from here on.

    A full garbage collection holds the GIL, so it stops every thread of this
    process; over the whole heap of imports and collected tests it took up to
    1.5 s on a loaded machine. A send's connect timer keeps running meanwhile,
    and the transport's event loop, once it runs again, fires the expired timer
    before waking the request whose connect had already completed: every send
    in flight failed with ConnectTimeoutError (the once-seen flake of
    tests/messaging/test_sending.py's multicast test and of test_reconcile.py).
    What is alive now stays alive to the end of the run, so freezing it loses nothing.
    """
    gc.collect()
    gc.freeze()


@pytest.hookimpl(wrapper=True)
def pytest_fixture_setup(fixturedef: pytest.FixtureDef[Any]) -> Iterator[Any]:
    """Freeze again once the test databases exist: their migrations' objects live on too."""
    result = yield
    if fixturedef.argname == "django_db_setup":
        gc.collect()
        gc.freeze()
    return result


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        marker = area_marker(item.path)
        if marker is not None:
            item.add_marker(marker)
        if is_database_free(item):
            item.add_marker("database_free")


def is_database_free(item: pytest.Item) -> bool:
    """Whether the test's outcome cannot depend on the leg's database engine."""
    if any(item.get_closest_marker(name) for name in ("django_db", *NOT_DATABASE_FREE)):
        return False
    return not DATABASE_FIXTURES & set(getattr(item, "fixturenames", ()))
