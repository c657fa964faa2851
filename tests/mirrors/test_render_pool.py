"""The render pool's workers share the parent's memory: the collector is kept off the
shared objects while they run (gc.freeze), and only while they run, since an export
may run inside a long-lived task worker."""

import gc
from types import SimpleNamespace

from samizdat.mirrors.export.render import RenderPool


def test_objects_are_frozen_while_workers_run_and_unfrozen_when_they_end():
    ctx = SimpleNamespace(hostname="mirror.example")
    pool = RenderPool(ctx, SimpleNamespace(nonhtml={}), jobs=2, progress=False)
    before = gc.get_freeze_count()
    try:
        assert pool._pool() is not None
        assert gc.get_freeze_count() > before
    finally:
        pool.close()
    assert gc.get_freeze_count() == 0
    assert pool.pool is None
