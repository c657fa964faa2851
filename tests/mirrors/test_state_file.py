"""The incremental state beside an export: written piece by piece (its JSON for
10,000 pages was the export's largest allocation), read back whole."""

import gzip
import json

from samizdat.mirrors.export import incremental
from samizdat.mirrors.manifest import MANIFEST_NAME


def test_the_state_is_written_in_pieces_as_the_canonical_json_and_reads_back(tmp_path):
    outdir = tmp_path / "out"
    outdir.mkdir()
    (outdir / MANIFEST_NAME).write_text("")  # load_state wants an export there
    state = {
        "version": incremental.STATE_VERSION,
        "options": {"scheme": "https", "onion": False},
        "snapshot": {"pages": {"12": {"path": "/ru/новости/", "facts": {"tags": [3, 1]}},
                               "3": {"path": "/", "facts": {}}},
                     "globals": "ab" * 32},
        "pages": {"/": {"status": 200, "links": ["/ru/новости/", "/feeds/rss/"]},
                  "/feeds/rss/": {"status": 200, "type": "application/rss+xml"}},
        "nonhtml": {"/feeds/rss/": "xml"},
        "empty": {},
    }
    incremental.save_state(outdir, state)
    raw = gzip.decompress(incremental.state_path(outdir).read_bytes())
    assert raw == json.dumps(state, sort_keys=True, separators=(",", ":")).encode()
    assert incremental.load_state(outdir) == state
