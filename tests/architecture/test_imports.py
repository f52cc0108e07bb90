"""The import rules of docs/architecture.md hold in the code.

The table in that page is the rule book: this test reads it, so the page and
the check cannot disagree. An import at module level must be allowed in the
"module level" column; one inside a function or under ``TYPE_CHECKING`` may
also use the "deferred" column. The rows are the layers, bottom first: a
module-level import points to an earlier row, and a deferred import of a later
row is a back-edge, of which there are at most ``MAX_BACK_EDGES``. No import
cycle, module-level and deferred imports alike, passes through provisioning.
"""

from __future__ import annotations

import ast
from pathlib import Path

from .import_graph import (
    ACYCLIC,
    MAX_BACK_EDGES,
    PACKAGE,
    Graph,
    back_edges,
    component_of,
    cycles_through,
    documented_rules,
    figures,
    imported_modules,
    imports_by_placement,
    layer_order,
    read_graph,
    strongly_connected,
)

# Importable without Django installed: the local gateway runs in front of any backend.
DJANGO_FREE = {"wire", "protocol", "jwt_verification", "lambda_authorizer", "local_gateway"}


def all_component_edges(graph: Graph) -> dict[str, set[str]]:
    edges = graph.components(deferred=False)
    for source, targets in graph.components(deferred=True).items():
        edges[source] = edges[source] | targets
    return edges


def test_the_page_lists_every_component_and_no_other() -> None:
    documented, _ = documented_rules()
    actual = {component_of(module) for module in read_graph().modules} - {""}
    assert sorted(documented) == sorted(actual), (
        "docs/architecture.md's 'Allowed imports' table must have one row per module or "
        "package of the app: add or remove rows"
    )


def test_module_level_imports_follow_the_arrows() -> None:
    allowed, _ = documented_rules()
    actual = read_graph().components(deferred=False)
    breaking = {
        name: sorted(targets - allowed.get(name, set()))
        for name, targets in actual.items()
        if targets - allowed.get(name, set())
    }
    assert breaking == {}, "imports not allowed by docs/architecture.md"


def test_module_level_imports_point_down_the_layers() -> None:
    upward = back_edges(read_graph().components(deferred=False), layer_order())
    assert upward == [], "a row may import only rows above it in docs/architecture.md's table"


def test_deferred_imports_are_the_documented_ones() -> None:
    allowed, deferred = documented_rules()
    actual = read_graph().components(deferred=True)
    breaking = {
        name: sorted(targets - allowed.get(name, set()) - deferred.get(name, set()))
        for name, targets in actual.items()
        if targets - allowed.get(name, set()) - deferred.get(name, set())
    }
    assert breaking == {}, "deferred imports not allowed by docs/architecture.md"


def test_no_import_cycle_passes_through_provisioning() -> None:
    graph = read_graph()
    assert cycles_through(strongly_connected(graph.edges()), ACYCLIC) == []
    assert cycles_through(strongly_connected(all_component_edges(graph)), ACYCLIC) == []


def test_the_only_back_edges_are_the_queryset_facade() -> None:
    found = back_edges(all_component_edges(read_graph()), layer_order())
    assert len(found) <= MAX_BACK_EDGES
    # send_message(), reconcile() (messaging) and enqueue_message() (tasks) on the models.
    assert found == [("models", "messaging"), ("models", "tasks")]


def test_the_local_gateway_and_wire_do_not_import_django() -> None:
    third_party = read_graph().third_party
    importing_django = {
        component_of(module)
        for module, names in third_party.items()
        if "django" in names and component_of(module) in DJANGO_FREE
    }
    assert importing_django == set()


# The checker itself, on code that breaks each rule.


def test_the_rules_catch_a_forbidden_import() -> None:
    tree = ast.parse("from ..views import WebSocketView\ndef f():\n    from ..messaging import x\n")
    top, inner = imports_by_placement(tree)
    module = f"{PACKAGE}.models.session"
    assert [imported_modules(n, module, False) for n in top] == [  # type: ignore[arg-type]
        [f"{PACKAGE}.views", f"{PACKAGE}.views.WebSocketView"]
    ]
    assert [imported_modules(n, module, False) for n in inner] == [  # type: ignore[arg-type]
        [f"{PACKAGE}.messaging", f"{PACKAGE}.messaging.x"]
    ]


def write_package(root: Path, files: dict[str, str]) -> Path:
    package = root / PACKAGE
    for name, text in {"__init__.py": "", **files}.items():
        path = package / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return package


def test_the_graph_finds_a_cycle_through_provisioning_and_counts_back_edges(
    tmp_path: Path,
) -> None:
    # models reaches provisioning and tasks from inside functions, as 4.x-style
    # shims would; provisioning and tasks import models at module level.
    package = write_package(
        tmp_path,
        {
            "models/__init__.py": "from .gateway import ApiGateway\n",
            "models/gateway.py": (
                "from typing import TYPE_CHECKING\n"
                "if TYPE_CHECKING:\n    from ..tasks import Result\n"
                "class ApiGateway:\n"
                "    def create_gateway(self):\n"
                "        from ..provisioning import create_gateway\n"
                "        return create_gateway(self)\n"
            ),
            "provisioning/__init__.py": "from .create import create_gateway\n",
            "provisioning/create.py": "from ..models import ApiGateway\n",
            "tasks.py": f"from {PACKAGE} import models\nfrom . import messaging\n",
            "messaging.py": "from .models import ApiGateway\n",
        },
    )
    graph = read_graph(package)
    order = ["models", "messaging", "tasks", "provisioning"]

    found = figures(graph, order)

    assert found["module cycles through provisioning"] == 1
    assert [sorted(c) for c in cycles_through(strongly_connected(graph.edges()), ACYCLIC)] == [
        sorted(
            f"{PACKAGE}.{m}"
            for m in (
                "models",
                "models.gateway",
                "provisioning",
                "provisioning.create",
                # models.gateway -> tasks (type-only) -> messaging -> models: one cycle.
                "tasks",
                "messaging",
            )
        )
    ]
    assert found["back-edges"] == [("models", "provisioning"), ("models", "tasks")]
    assert found["component cycles"] == [["messaging", "models", "provisioning", "tasks"]]
    assert back_edges(graph.components(deferred=False), order) == []


def test_more_back_edges_than_allowed_are_counted(tmp_path: Path) -> None:
    names = [f"upper{n}" for n in range(MAX_BACK_EDGES + 1)]
    deferred = "".join(f"def f{n}():\n    from . import {name}\n" for n, name in enumerate(names))
    package = write_package(
        tmp_path,
        {"lower.py": deferred, **{f"{name}.py": "from . import lower\n" for name in names}},
    )

    found = back_edges(all_component_edges(read_graph(package)), ["lower", *names])

    assert len(found) == MAX_BACK_EDGES + 1 > MAX_BACK_EDGES
    assert strongly_connected({"a": {"b"}, "b": {"a"}, "c": {"a"}}) == [{"a", "b"}]
