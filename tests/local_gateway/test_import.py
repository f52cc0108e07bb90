"""The local gateway is usable without Django installed or configured."""

from __future__ import annotations

import subprocess
import sys

SCRIPT = """
import importlib, pkgutil, sys
import django_aws_api_gateway_websockets.local_gateway as package
for module in pkgutil.iter_modules(package.__path__):
    if module.name != "__main__":
        importlib.import_module(f"{package.__name__}.{module.name}")
loaded = sorted(name for name in sys.modules if name == "django" or name.startswith("django."))
print(len(list(pkgutil.iter_modules(package.__path__))), loaded)
"""


def test_importing_every_module_of_the_package_loads_no_django() -> None:
    result = subprocess.run(
        [sys.executable, "-c", SCRIPT], capture_output=True, text=True, check=True, timeout=60
    )
    count, loaded = result.stdout.split(" ", 1)
    assert int(count) >= 10
    assert loaded.strip() == "[]"
