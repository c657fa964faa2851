"""The static export: every public URL as a file, portable and signed.

Pages are rendered in-process by Django's test client (in worker processes
when the database allows), rewritten to relative links with their CSP inside
(rewrite.py), written into a temporary folder next to OUTDIR, listed in a
signed manifest (manifest.py), and only then swapped into place. Output is a
function of the database: paths, manifests and state are sorted, nothing is
stamped with the clock.

Incremental exports keep a state file beside OUTDIR (the link graph and a
snapshot of the pages) and re-render only the URLs a change can affect;
unchanged files are hard links to the previous export.

The parts:

- `exporter`: one run, start to finish (the orchestration);
- `context`: the options, the summary, and the frozen `ExportContext`;
- `render`: one URL into one file; the worker pool;
- `graph`: the link graph, crawling and reachability;
- `incremental`: snapshots, saved state and the URLs a change affects;
- `files`: atomic writes, hard links to the previous export, the swap;
- `assets`: static files, media and key-rotation statements.
"""

from .context import ExportContext, ExportError, Options, Summary
from .exporter import Exporter, export_site

__all__ = ["ExportContext", "ExportError", "Exporter", "Options", "Summary", "export_site"]
