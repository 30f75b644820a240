"""The layout holds: front-ends reach Podman and NVML only through the service.

Walks the imports of every module in labcontainer/ (the AST, not a text search) and
fails on a front-end that imports engine/ or gpus/ (or podman-py, pynvml), on a
front-end that imports another front-end, and on a module over 400 lines.
"""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "labcontainer"
FRONT_ENDS = ("magics", "widgets", "server", "provisioner", "cli")
ALLOWED_FOR_FRONT_ENDS = ("service", "core", "kernels")
PRIVATE = ("engine", "gpus")
MAX_LINES = 400
#: The one front-end to front-end edge, on purpose: `%container panel` shows the widget.
ALLOWED_EDGES = {("magics", "widgets")}


def _modules() -> dict[str, Path]:
    found = {}
    for path in PACKAGE.rglob("*.py"):
        parts = list(path.relative_to(PACKAGE).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts = parts[:-1]
        found[".".join(["labcontainer", *parts])] = path
    return found


def _imports(module: str, path: Path) -> set[str]:
    """Absolute names of the labcontainer modules and third-party packages a module imports."""
    is_package = path.name == "__init__.py"
    base = module.split(".") if is_package else module.split(".")[:-1]
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                anchor = base[: len(base) - (node.level - 1)]
                target = ".".join(anchor + ([node.module] if node.module else []))
                names.add(target)
                if not node.module:  # from . import x
                    names.update(f"{target}.{alias.name}" for alias in node.names)
            else:
                names.add(node.module or "")
    return names


def _layer(name: str) -> str | None:
    parts = name.split(".")
    return parts[1] if parts[0] == "labcontainer" and len(parts) > 1 else None


def test_the_walker_sees_relative_and_absolute_imports():
    assert "labcontainer.service" in _imports("labcontainer.magics", PACKAGE / "magics" / "__init__.py")
    assert "podman" in _imports("labcontainer.engine.client", PACKAGE / "engine" / "client.py")
    assert "labcontainer.core.models" in _imports("labcontainer.engine.client", PACKAGE / "engine" / "client.py")


def test_front_ends_use_only_service_core_and_kernels():
    offences = []
    for module, path in _modules().items():
        layer = _layer(module)
        if layer not in FRONT_ENDS:
            continue
        for name in _imports(module, path):
            target = _layer(name)
            if name.split(".")[0] in ("podman", "pynvml"):
                offences.append(f"{module} imports {name}")
            elif target in PRIVATE or (target in FRONT_ENDS and target != layer and (layer, target) not in ALLOWED_EDGES):
                offences.append(f"{module} imports {name}")
            elif target is not None and target != layer and target not in ALLOWED_FOR_FRONT_ENDS + tuple(FRONT_ENDS):
                offences.append(f"{module} imports {name}")
    assert not offences, "front-ends must go through the service:\n" + "\n".join(sorted(offences))


def test_only_the_engine_imports_podman_py_and_only_gpus_imports_pynvml():
    offences = []
    for module, path in _modules().items():
        for name in _imports(module, path):
            top = name.split(".")[0]
            if top == "podman" and _layer(module) != "engine":
                offences.append(f"{module} imports {name}")
            if top == "pynvml" and _layer(module) != "gpus":
                offences.append(f"{module} imports {name}")
    assert not offences, "\n".join(offences)


def test_core_and_kernels_do_not_reach_into_private_layers():
    offences = []
    for module, path in _modules().items():
        if _layer(module) in ("core", "kernels"):
            offences += [f"{module} imports {n}" for n in _imports(module, path) if _layer(n) in PRIVATE + FRONT_ENDS]
    assert not offences, "\n".join(offences)


def test_no_module_is_over_400_lines():
    long = {module: len(path.read_text().splitlines()) for module, path in _modules().items()}
    assert not {m: n for m, n in long.items() if n > MAX_LINES}, long


#: The service is LabService in service.py plus its image half (a mixin, service_images.py).
SERVICE_MODULES = ("labcontainer.service", "labcontainer.service_images")


def test_nobody_outside_the_service_touches_its_engine():
    for module, path in _modules().items():
        if module not in SERVICE_MODULES:
            assert "._podman" not in path.read_text(), f"{module} reaches into the service's engine"
