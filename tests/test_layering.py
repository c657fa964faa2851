"""The dependency rule of docs/architecture.md, checked on the source itself.

Every import counts, also one inside a function: a deferred import is still a
dependency, only hidden from the import system.
"""

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "samizdat"


def module_name(path):
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def modules():
    """{dotted name: path} of every module of the project, migrations left out."""
    return {module_name(path): path for path in PACKAGE.rglob("*.py")
            if "migrations" not in path.parts}


MODULES = modules()


def _resolve(base, name):
    """`from base import name`: the module `base.name` if there is one, else `base`."""
    candidate = f"{base}.{name}"
    return candidate if candidate in MODULES else base


def imports_of(name, path):
    """Every samizdat module that `name` imports, at any depth of its code."""
    is_package = path.name == "__init__.py"
    package = name if is_package else name.rpartition(".")[0]
    found = set()
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                anchor = package.split(".")
                anchor = anchor[:len(anchor) - (node.level - 1)]
                base = ".".join(anchor + ([node.module] if node.module else []))
            else:
                base = node.module
            found.update(_resolve(base, alias.name) for alias in node.names)
    return {target for target in found if target.split(".")[0] == "samizdat"}


GRAPH = {name: imports_of(name, path) for name, path in MODULES.items()}


def in_app(name, app):
    return name == f"samizdat.{app}" or name.startswith(f"samizdat.{app}.")


def offenders(importer_app, imported_app, allowed=()):
    return sorted(
        f"{source} imports {target}"
        for source, targets in GRAPH.items() if in_app(source, importer_app)
        for target in targets
        if in_app(target, imported_app) and target not in allowed
    )


def test_support_never_imports_appeals():
    assert offenders("support", "appeals") == []


def test_appeals_uses_support_only_through_its_api():
    # widget.py's fallback still reads support.checkout directly.
    allowed = {"samizdat.support", "samizdat.support.api"}
    assert [line for line in offenders("appeals", "support", allowed)
            if not line.startswith("samizdat.appeals.widget ")] == []


def test_core_imports_no_app():
    apps = {path.name for path in PACKAGE.iterdir() if (path / "apps.py").exists()}
    assert [line for app in sorted(apps - {"core"}) for line in offenders("core", app)] == []


def cycles_within(app):
    """Each import circle among the app's own modules, as a list of module names."""
    nodes = {name for name in GRAPH if in_app(name, app)}
    edges = {name: sorted(t for t in GRAPH[name] if t in nodes and t != name)
             for name in nodes}
    found, done = [], set()

    def visit(node, stack):
        if node in stack:
            found.append(stack[stack.index(node):] + [node])
            return
        if node in done:
            return
        for target in edges[node]:
            visit(target, stack + [node])
        done.add(node)

    for node in sorted(nodes):
        visit(node, [])
    return found


APPS_WITHOUT_CIRCLES = ["core", "users", "images", "news", "appeals", "mirrors", "security",
                        "support", "newsletters"]


@pytest.mark.parametrize("app", APPS_WITHOUT_CIRCLES)
def test_no_import_circle_inside_the_app(app):
    assert [" -> ".join(cycle) for cycle in cycles_within(app)] == []


def test_mirrors_never_imports_news():
    """The mirror learns the news app's URLs through its `mirror_export.urls`
    (samizdat.core.site_urls), found by name: no module of mirrors imports news."""
    assert offenders("mirrors", "news") == []


def test_the_mirror_finds_each_apps_declared_urls_by_name():
    """The seam that replaces the import: news declares, mirrors discovers."""
    from samizdat.core.site_urls import SiteUrls
    from samizdat.mirrors import urlset
    from samizdat.news import mirror_export

    urlset.clear_caches()
    assert isinstance(mirror_export.urls, SiteUrls)
    assert mirror_export.urls in urlset.declarations()


@pytest.mark.parametrize("app", ["core", "support", "appeals", "news"])
def test_no_app_imports_newsletters(app):
    assert offenders(app, "newsletters") == []
