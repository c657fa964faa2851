"""The support app imports in one direction: models → facts → providers → ledger → actions
→ views. A circle means a module can only be understood together with the one it
imports, and one of them ends up importing inside a function to hide it."""

import ast
from pathlib import Path

import samizdat.support

PACKAGE = "samizdat.support"
ROOT = Path(samizdat.support.__file__).parent


def _module_name(path):
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join([PACKAGE, *parts])


def _modules():
    return {_module_name(path): path for path in ROOT.rglob("*.py")
            if "migrations" not in path.parts}


def _imports(name, source, known, is_package=False):
    """Every module of the app that `source` imports, at the top or inside a function."""
    package = name if is_package else name.rpartition(".")[0]
    found = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")
                anchor = anchor[:len(anchor) - node.level + 1]
                base = ".".join(anchor + ([base] if base else []))
            targets = [base] + [f"{base}.{alias.name}" for alias in node.names]
        else:
            continue
        found |= {target for target in targets if target in known}
    found.discard(name)
    return found


def import_graph():
    modules = _modules()
    return {name: _imports(name, path.read_text(), modules, path.name == "__init__.py")
            for name, path in modules.items()}


def find_circles(graph):
    """Each import circle once, as the list of modules along it."""
    circles, state, stack = [], {}, []

    def visit(node):
        state[node] = "open"
        stack.append(node)
        for target in sorted(graph.get(node, ())):
            if state.get(target) == "open":
                circles.append(stack[stack.index(target):] + [target])
            elif target not in state:
                visit(target)
        stack.pop()
        state[node] = "done"

    for node in sorted(graph):
        if node not in state:
            visit(node)
    return circles


def test_support_has_no_import_circle():
    circles = find_circles(import_graph())
    assert not circles, "\n".join(" → ".join(circle) for circle in circles)


LAYERS = [
    ["models"],
    ["facts"],
    ["providers.base", "providers.stripe", "providers.demo", "providers.bank_transfer"],
    ["ledger"],
    ["webhooks", "actions"],
    ["views", "staff_views", "selfservice_views"],
]


def test_support_layers_import_only_downwards():
    graph = import_graph()
    layer_of = {}
    for number, names in enumerate(LAYERS):
        for name in names:
            layer_of[f"{PACKAGE}.{name}"] = number
    upward = []
    for module, targets in graph.items():
        own = next((layer_of[m] for m in layer_of if module == m or module.startswith(m + ".")),
                   None)
        if own is None:
            continue
        for target in targets:
            theirs = next((layer_of[m] for m in layer_of
                           if target == m or target.startswith(m + ".")), None)
            if theirs is not None and theirs > own:
                upward.append(f"{module} imports {target}")
    assert not upward, "\n".join(sorted(upward))


def test_the_walk_finds_a_circle_hidden_in_a_function():
    """The check itself: an import inside a function counts (as ledger's once did)."""
    known = {f"{PACKAGE}.ledger", f"{PACKAGE}.webhooks", f"{PACKAGE}.providers.base"}
    ledger = "from .providers.base import get_provider\n" \
             "def f():\n    from .webhooks import facts_of\n"
    webhooks = "from . import ledger\n"
    graph = {
        f"{PACKAGE}.ledger": _imports(f"{PACKAGE}.ledger", ledger, known),
        f"{PACKAGE}.webhooks": _imports(f"{PACKAGE}.webhooks", webhooks, known),
    }
    assert graph[f"{PACKAGE}.ledger"] == {f"{PACKAGE}.providers.base", f"{PACKAGE}.webhooks"}
    assert find_circles(graph) == [
        [f"{PACKAGE}.ledger", f"{PACKAGE}.webhooks", f"{PACKAGE}.ledger"]]
