"""Reader queries compiled to SQL once per process, then run with new values.

Building a Django queryset (filters, joins) and compiling it to SQL costs more CPU
than the database spends answering the small queries a reader page asks (an article
by its URL, its 'Read more' ids and cards, its translations). The SQL of such a
query differs from one page to the next only in its parameter values, so it is
compiled once per *shape* (the query's name and whatever changes its SQL text: the
length of an `IN` list, a limit) from the ORM, with markers where the values go,
and later runs put the values in their places and reuse the compiled query's
column list, converters and model loading (Django's own iterables run as usual:
`select_related` and the date converters work as for the ORM query).

Only plain values are substituted: a marker must come back from the compiler as
one whole parameter (or, for `__startswith`, the marker followed by `%`, escaped
as Django escapes it). Anything else (a marker folded into the SQL text, a query
that compiles to nothing) and the shape is answered by the ORM every time.

Plans are kept with the loader's data (loader.memo): the SQL embeds site-wide
state (the private subtrees that `public()` leaves out), which a new page cache
generation replaces.
"""

import copy
import uuid

from django.core.exceptions import EmptyResultSet
from django.db import connections
from django.db.models.sql.compiler import SQLCompiler

from . import loader

INT_MARKER = 2_100_000_000  # + position: a value no id, depth or count here reaches
STR_MARKER = "\x02samizdat-value-{}\x03"
UUID_MARKER = uuid.UUID("5a4d2d7e-0000-4000-8000-000000000000")
_NO_PLAN = object()


def markers(kinds):
    """A marker per value: kinds is a string of "i" (integer), "s" (string) and "u"
    (UUID)."""
    return [INT_MARKER + n if kind == "i" else
            uuid.UUID(int=UUID_MARKER.int + n) if kind == "u" else STR_MARKER.format(n)
            for n, kind in enumerate(kinds)]


class _Plan:
    def __init__(self, queryset, compiler, sql, slots):
        self.queryset = queryset
        self.compiler = compiler
        self.sql = sql
        self.slots = slots
        self.converters = {}  # the column converters, per list of columns

    def params(self, values, connection):
        params = []
        for kind, what in self.slots:
            if kind == "const":
                params.append(what)
            elif kind == "value":
                params.append(values[what])
            elif kind == "int":  # the backend's integer wrapper (psycopg's Int4, ...)
                params.append(what[1](values[what[0]]))
            elif kind == "hex":
                params.append(uuid.UUID(str(values[what])).hex)
            else:  # "like": a __startswith prefix
                params.append(connection.ops.prep_for_like_query(values[what]) + "%")
        return params

    def _columns(self, compiler, expressions):
        """(converters, composite?) of these columns on this connection, the
        compiler's answers worked out once: they depend only on the columns (always
        the compiled query's own) and the connection (a thread's own; both are kept
        with the answer, so their ids stay theirs)."""
        key = (id(compiler.connection), *map(id, expressions))
        found = self.converters.get(key)
        if found is None:
            found = self.converters[key] = (
                compiler.connection, list(expressions),
                type(compiler).get_converters(compiler, expressions),
                type(compiler).has_composite_fields(compiler, expressions))
        return found

    def run(self, values):
        queryset = self.queryset._chain()
        connection = connections[queryset.db]
        replay = copy.copy(self.compiler)
        replay.connection = connection
        sql, params = self.sql, self.params(values, connection)
        replay.as_sql = lambda *args, **kwargs: (sql, params)
        replay.get_converters = lambda columns: self._columns(replay, columns)[2]
        replay.has_composite_fields = lambda columns: self._columns(replay, columns)[3]
        queryset.query.get_compiler = lambda *args, **kwargs: replay
        return list(queryset)


def _wrapped_int(param):
    return isinstance(param, int) and type(param) not in (int, bool)


def _slot(param, marks):
    for n, mark in enumerate(marks):
        if isinstance(mark, uuid.UUID):
            if param == mark:
                return ("value", n)
            if param == mark.hex:  # a backend without a uuid type (SQLite)
                return ("hex", n)
        elif isinstance(mark, int):
            if type(param) is int and param == mark:
                return ("value", n)
            if _wrapped_int(param) and param == mark:
                # PostgreSQL's backend (psycopg 3) sends an integer field's value as
                # Int4/Int8/...: the new value goes in the same wrapper.
                return ("int", (n, type(param)))
        elif isinstance(param, str) and mark in param:
            if param == mark:
                return ("value", n)
            if param == mark + "%":
                return ("like", n)
            return None
    if isinstance(param, str) and "\x02samizdat-value-" in param:
        return None
    if (type(param) is int or _wrapped_int(param)) and (
            INT_MARKER <= param < INT_MARKER + len(marks)):
        return None
    if isinstance(param, uuid.UUID | str) and str(param).replace("-", "").startswith(
            UUID_MARKER.hex[:16]):
        return None
    return ("const", param)


def _plan(queryset, marks):
    compiler = queryset.query.get_compiler(using=queryset.db)
    # The backend's own plain SELECT compiler (PostgreSQL has a subclass of Django's),
    # never an aggregate, update or delete one.
    if type(compiler) is not connections[queryset.db].ops.compiler(SQLCompiler.__name__):
        return _NO_PLAN
    try:
        sql, params = compiler.as_sql()
    except EmptyResultSet:
        return _NO_PLAN
    if not sql or any(str(mark) in sql for mark in marks):
        return _NO_PLAN
    slots = [_slot(param, marks) for param in params]
    used = ({what[0] if kind == "int" else what for kind, what in slots if kind != "const"}
            if all(slots) else None)
    if used != set(range(len(marks))):
        return _NO_PLAN
    return _Plan(queryset, compiler, sql, slots)


def rows(request, shape, kinds, build, values):
    """list(build(*values)), from SQL compiled once per shape (see above).

    `build` makes the queryset (model instances or values_list) from its values;
    `shape` names it with everything besides `values` that changes its SQL.
    """
    if request is None:
        return list(build(*values))
    plan = loader.memo(request, "prepared", (shape, kinds),
                       lambda: _plan(build(*markers(kinds)), markers(kinds)), limit=300)
    if plan is _NO_PLAN:
        return list(build(*values))
    return plan.run(values)
