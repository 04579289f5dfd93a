"""The public surface: ``__all__`` lists, which way imports run, nothing networked at import."""

from __future__ import annotations

import ast
import importlib
import json
import pkgutil
import re
import subprocess
import sys
import textwrap
from pathlib import Path
from types import ModuleType

import pytest

import snapverify

PACKAGE = Path(snapverify.__file__).resolve().parent
MODULES = sorted(
    info.name for info in pkgutil.walk_packages(snapverify.__path__, prefix="snapverify.")
)
CORE_PACKAGES = ("text", "compare")
# What the core (text, compare) must never import: DESIGN.md, "Which way imports run".
FORBIDDEN_IN_CORE = (
    "snapverify.cli",
    "snapverify.report",
    "snapverify.pipeline",
    "snapverify.fetch",
    "snapverify.store",
    "httpx",
    "requests",
    "waybackpy",
    "socket",
    "http.client",
    "urllib.request",
)
NETWORK_MODULES = ("httpx", "requests", "waybackpy", "urllib3")


def _is_private(name: str) -> bool:
    return any(part.startswith("_") for part in name.split(".")[1:])


def _source(module: ModuleType) -> ast.Module:
    assert module.__file__ is not None
    return ast.parse(Path(module.__file__).read_text(encoding="utf-8"))


def _defines_public_names(tree: ast.Module) -> bool:
    for node in tree.body:
        if isinstance(
            node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef
        ) and not node.name.startswith("_"):
            return True
    return False


def _sort_key(name: str) -> tuple[int, list[tuple[int, int | str]]]:
    """ruff's RUF022 "isort-style" order: CONSTANTS, then Classes, then the rest, natural."""
    if len(name) > 1 and name.isupper():
        group = 0
    elif name[:1].isupper():
        group = 1
    else:
        group = 2
    parts: list[tuple[int, int | str]] = [
        (0, int(part)) if part.isdigit() else (1, part) for part in re.split(r"(\d+)", name) if part
    ]
    return group, parts


def test_the_walk_sees_every_layer() -> None:
    for expected in (
        "snapverify.models",
        "snapverify.pipeline",
        "snapverify.text.extract",
        "snapverify.compare.align",
        "snapverify.report.json",
    ):
        assert expected in MODULES


def test_sort_key_is_isort_style() -> None:
    names = ["align", "Side", "MOVED", "Alignment", "UNMATCHED", "x10", "x9"]
    assert sorted(names, key=_sort_key) == [
        "MOVED",
        "UNMATCHED",
        "Alignment",
        "Side",
        "align",
        "x9",
        "x10",
    ]


@pytest.mark.parametrize("name", ["snapverify", *MODULES])
def test_all_is_sorted_and_complete(name: str) -> None:
    module = importlib.import_module(name)
    exported = getattr(module, "__all__", None)
    if exported is None:
        assert _is_private(name) or not _defines_public_names(_source(module)), (
            f"{name} defines public names but no __all__"
        )
        return
    assert isinstance(exported, list | tuple)
    assert all(isinstance(item, str) for item in exported)
    assert len(set(exported)) == len(exported), f"{name}.__all__ has duplicates"
    assert list(exported) == sorted(exported, key=_sort_key), f"{name}.__all__ is not sorted"
    missing = [item for item in exported if not hasattr(module, item)]
    assert not missing, f"{name}.__all__ names what it lacks: {missing}"


def _imports(path: Path, source: str | None = None) -> set[str]:
    """Every module a file imports, at any depth (lazy imports included), made absolute."""
    if source is None:
        source = path.read_text(encoding="utf-8")
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    package = parts[:-1]  # a module's package; for __init__.py, the package itself
    found: set[str] = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package[: len(package) - node.level + 1]
                module = ".".join([*base, *([node.module] if node.module else [])])
            else:
                module = node.module or ""
            found.add(module)
            found.update(f"{module}.{alias.name}" for alias in node.names)
    return found


def _forbidden(imported: str) -> bool:
    return any(imported == bad or imported.startswith(bad + ".") for bad in FORBIDDEN_IN_CORE)


def test_import_scanner_sees_relative_and_lazy_imports() -> None:
    source = "def f():\n    import httpx\nfrom ..report import json\nfrom . import html\n"
    found = _imports(PACKAGE / "text" / "fake.py", source)
    assert {"httpx", "snapverify.report", "snapverify.report.json", "snapverify.text"} <= found
    assert _imports(PACKAGE / "text" / "__init__.py", "from ..cli import main\n") >= {
        "snapverify.cli"
    }
    assert _forbidden("snapverify.report.json") and _forbidden("httpx")
    assert not _forbidden("snapverify.reporting") and not _forbidden("snapverify.models")


CORE_FILES = sorted(path for name in CORE_PACKAGES for path in (PACKAGE / name).rglob("*.py"))


@pytest.mark.parametrize("path", CORE_FILES, ids=lambda path: str(path.relative_to(PACKAGE)))
def test_core_imports_nothing_above_it(path: Path) -> None:
    bad = sorted(imported for imported in _imports(path) if _forbidden(imported))
    assert not bad, f"{path.relative_to(PACKAGE)} imports {bad}"


def test_there_are_core_files() -> None:
    names = {str(path.relative_to(PACKAGE)) for path in CORE_FILES}
    assert {"text/extract.py", "compare/align.py", "compare/__init__.py"} <= names


def _run(code: str) -> dict[str, object]:
    completed = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert completed.returncode == 0, completed.stderr
    return json.loads(completed.stdout.strip().splitlines()[-1])  # type: ignore[no-any-return]


def test_importing_the_core_imports_no_http_library() -> None:
    core = ["snapverify", "snapverify.models", "snapverify.errors", "snapverify.snapshot"]
    core += [name for name in MODULES if name.split(".")[1] in CORE_PACKAGES]
    result = _run(
        f"""
        import importlib, json, sys
        for name in {core!r}:
            importlib.import_module(name)
        print(json.dumps({{"loaded": sorted(
            m for m in sys.modules if m.split(".")[0] in {list(NETWORK_MODULES)!r}
        )}}))
        """
    )
    assert result["loaded"] == []


def test_importing_any_module_builds_no_client() -> None:
    result = _run(
        f"""
        import importlib, json
        built = []
        try:
            import httpx
        except ImportError:
            httpx = None
        if httpx is not None:
            def refuse(self, *args, **kwargs):
                built.append(type(self).__name__)
                raise RuntimeError("client built at import time")
            httpx.Client.__init__ = refuse
            httpx.AsyncClient.__init__ = refuse
        errors = {{}}
        for name in ["snapverify", *{MODULES!r}]:
            if name.endswith("__main__"):
                continue
            try:
                importlib.import_module(name)
            except Exception as exc:
                errors[name] = repr(exc)
        print(json.dumps({{"built": built, "errors": errors}}))
        """
    )
    assert result == {"built": [], "errors": {}}
