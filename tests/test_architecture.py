"""The layout holds: front-ends reach Podman and NVML only through the service.

Walks the imports of every module in labcontainer/ (the AST, not a text search) and
fails on a front-end that imports engine/ or gpus/ (or podman-py, pynvml), on a
front-end that imports another front-end, on an import circle, on a module over 400
lines, and on a mixin (a class made of several of ours: parts are composed instead).
"""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "labcontainer"
FRONT_ENDS = ("magics", "widgets", "server", "provisioner", "cli")
ALLOWED_FOR_FRONT_ENDS = ("service", "core", "kernels")
PRIVATE = ("engine", "gpus", "remote")
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


#: Only LabService holds the engine; its parts (service_images.py) are given what they need.
SERVICE_MODULES = ("labcontainer.service",)


def test_nobody_outside_the_service_touches_its_engine():
    for module, path in _modules().items():
        if module not in SERVICE_MODULES:
            assert "._podman" not in path.read_text(), f"{module} reaches into the service's engine"


def _import_graph() -> dict[str, set[str]]:
    """labcontainer module -> the labcontainer modules it imports (type-checking and
    in-function imports too: a circle hidden there is still a circle of the design). An
    import of one's own package is left out: Python has run it before the module."""
    modules = _modules()
    graph: dict[str, set[str]] = {}
    for module, path in modules.items():
        ancestors = {".".join(module.split(".")[:n]) for n in range(1, module.count(".") + 1)}
        graph[module] = {name for name in _imports(module, path) if name in modules and name != module and name not in ancestors}
    return graph


def _a_circle(graph: dict[str, set[str]]) -> list[str]:
    """One import circle (its modules, the first repeated at the end), or [] when there is none."""
    state: dict[str, int] = {}  # 1: on the current path, 2: done
    path: list[str] = []

    def visit(module: str) -> list[str]:
        state[module] = 1
        path.append(module)
        for target in sorted(graph[module]):
            if state.get(target) == 1:
                return path[path.index(target):] + [target]
            if target not in state and (found := visit(target)):
                return found
        state[module] = 2
        path.pop()
        return []

    for module in sorted(graph):
        if module not in state and (found := visit(module)):
            return found
    return []


def test_the_circle_finder_finds_a_circle():
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}
    assert _a_circle(graph) == ["a", "b", "c", "a"]
    assert _a_circle({"a": {"b"}, "b": set()}) == []


def test_no_import_circle():
    circle = _a_circle(_import_graph())
    assert not circle, "import circle: " + " -> ".join(circle)


#: Names of classes that are halves of another class: none of ours may be a base.
MIXIN_SUFFIXES = ("Verbs", "Door", "Mixin")


def _our_classes() -> dict[str, list[tuple[str, list[str]]]]:
    """Every class in labcontainer/: name -> [(module, names of its bases as written)]."""
    found: dict[str, list[tuple[str, list[str]]]] = {}
    for module, path in _modules().items():
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ClassDef):
                bases = [ast.unparse(base).rsplit(".", 1)[-1] for base in node.bases]
                found.setdefault(node.name, []).append((module, bases))
    return found


def _mixins(classes: dict[str, list[tuple[str, list[str]]]]) -> list[str]:
    """A class that inherits from more than one of ours, or from a half-class of ours."""
    offences = []
    for name, places in classes.items():
        for module, bases in places:
            ours = [base for base in bases if base in classes]
            if len(ours) > 1:
                offences.append(f"{module}.{name} inherits from {', '.join(ours)}")
            offences += [f"{module}.{name} inherits from {base}" for base in ours if base.endswith(MIXIN_SUFFIXES)]
    return offences


def test_the_mixin_finder_finds_mixins():
    classes = {"Engine": [("m", ["ImageVerbs"])], "ImageVerbs": [("m", [])], "Service": [("s", ["Base", "Other"])],
               "Base": [("s", [])], "Other": [("s", [])], "Handler": [("h", ["WebSocketMixin", "Base"])]}
    assert _mixins(classes) == ["m.Engine inherits from ImageVerbs", "s.Service inherits from Base, Other"]


def test_no_mixins_parts_are_composed():
    """A class inherits from at most one of ours, and never from a half-class of ours
    (*Verbs, *Door, *Mixin): a part is an attribute built with what it needs."""
    offences = _mixins(_our_classes())
    assert not offences, "\n".join(offences)


def _readme_architecture() -> str:
    text = (PACKAGE.parent / "README.md").read_text()
    start = text.index("## Architecture")
    return text[start : text.index("\n## ", start + 1)]


def test_readme_architecture_names_every_module():
    """A newcomer reads the layout there: a module it does not name is a module nobody explained."""
    section = _readme_architecture()
    unnamed = sorted(
        str(path.relative_to(PACKAGE))
        for path in PACKAGE.rglob("*.py")
        if path.name != "__init__.py" and path.name not in section
    )
    assert not unnamed, "README's Architecture does not name: " + ", ".join(unnamed)
