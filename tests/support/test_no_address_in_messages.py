"""No flash message may carry an e-mail address (issue: hardening, item 6).

Messages outlive the request (in the session, or a cookie with another storage) and
are shown to whoever holds the browser. "The receipt is on its way to <address>" put
the supporter's address there; the pattern is guarded here for every message the
code base adds: the text is a translated constant, filled at most with values that
are not addresses.
"""

import ast
from pathlib import Path

from django.conf import settings

ROOT = Path(__file__).resolve().parents[2] / "samizdat"
MESSAGE_CALLS = {"debug", "info", "success", "warning", "error", "add_message"}
ADDRESS_WORDS = ("email", "e_mail", "address", "recipient", "to_addr")


def _message_calls():
    for path in sorted(ROOT.rglob("*.py")):
        if "migrations" in path.parts:
            continue
        tree = ast.parse(path.read_text(), filename=str(path))
        for node in ast.walk(tree):
            if (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
                    and node.func.attr in MESSAGE_CALLS
                    and isinstance(node.func.value, ast.Name)
                    and node.func.value.id == "messages"):
                yield path, node


def _names(node):
    for child in ast.walk(node):
        if isinstance(child, ast.Name):
            yield child.id
        elif isinstance(child, ast.Attribute):
            yield child.attr
        elif isinstance(child, ast.Constant) and isinstance(child.value, str):
            yield from (child.value,) if "%(" in child.value else ()


def test_no_message_is_filled_with_an_address():
    calls = list(_message_calls())
    assert len(calls) >= 10  # the walk finds the calls it guards
    offending = []
    for path, call in calls:
        text = call.args[2] if call.func.attr == "add_message" else call.args[1]
        for name in _names(text):
            if any(word in name.lower() for word in ADDRESS_WORDS):
                offending.append(f"{path.relative_to(ROOT)}:{call.lineno} uses {name!r}")
    assert offending == []


def test_self_service_errors_shown_as_messages_are_constant_texts():
    """`messages.error(request, exc.message)` shows an ActionError: each one raised is a
    translated constant or a provider's message, never built from the supporter's data."""
    raised = []
    for path in sorted((ROOT / "support" / "actions").glob("*.py")):
        tree = ast.parse(path.read_text())
        raised += [node.exc for node in ast.walk(tree) if isinstance(node, ast.Raise)
                   and isinstance(node.exc, ast.Call) and getattr(node.exc.func, "id", "")
                   == "ActionError"]
    assert raised
    for call in raised:
        argument = call.args[0]
        text = argument.left if isinstance(argument, ast.BinOp) else argument
        constant = (isinstance(text, ast.Call) and getattr(text.func, "id", "") == "_"
                    and isinstance(text.args[0], ast.Constant))
        provider_message = ast.unparse(argument) == "exc.message"
        assert constant or provider_message, ast.unparse(argument)
        names = [name for name in _names(argument)
                 if any(word in name.lower() for word in ADDRESS_WORDS)]
        assert names == [], ast.unparse(argument)


def test_messages_are_kept_server_side():
    """Even a message with personal data would not travel in a readable cookie."""
    assert settings.MESSAGE_STORAGE == "django.contrib.messages.storage.session.SessionStorage"
