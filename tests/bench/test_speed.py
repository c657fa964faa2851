"""bench/speed.py's own arithmetic: what it reads from wrk, how it adds up memory, and
the table it writes. No timing is asserted: the bench measures, tests never do."""

import subprocess
import sys
import textwrap
from pathlib import Path

BENCH = Path(__file__).resolve().parents[2] / "bench"
sys.path.insert(0, str(BENCH))

import speed  # noqa: E402

WRK_OUTPUT = """\
Running 5s test @ http://127.0.0.1:9305/news/river-port-strike-enters-third-week/
  2 threads and 16 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency   823.53ms  300.01ms   2.00s    70.00%
  Latency Distribution
     50%  823.53ms
     75%    1.00s
     90%    1.50s
     99%    2.00s
  45 requests in 5.05s, 0.99MB read
  Non-2xx or 3xx responses: 3
Requests/sec:      8.91
Transfer/sec:    200.00KB
"""


def test_wrk_output_gives_rate_percentiles_and_errors():
    row = speed.parse_wrk(WRK_OUTPUT)
    assert row["rps"] == 8.91
    assert (row["p50"], row["p99"]) == ("823.53ms", "2.00s")
    assert "Non-2xx or 3xx responses: 3" in row["errors"]


def test_wrk_output_without_a_rate_reads_as_zero():
    assert speed.parse_wrk("unable to connect to 127.0.0.1:9305 Connection refused")["rps"] == 0


def test_peak_memory_counts_the_whole_process_tree():
    """A parent whose child holds 200 MB: the tree's RSS includes the child's."""
    child = textwrap.dedent("""
        import subprocess, sys
        grandchild = subprocess.Popen([sys.executable, "-c",
            "import sys; block = bytearray(200 * 2**20); "
            "block[::4096] = b'x' * (len(block) // 4096); print('ready', flush=True); "
            "sys.stdin.read()"], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        grandchild.stdout.readline()
        print("ready", flush=True)
        sys.stdin.read()
        grandchild.stdin.close()
        grandchild.wait()
    """)
    parent = subprocess.Popen([sys.executable, "-c", child], stdin=subprocess.PIPE,
                              stdout=subprocess.PIPE, text=True)
    try:
        assert parent.stdout.readline().strip() == "ready"
        own = int(Path(f"/proc/{parent.pid}/statm").read_text().split()[1])
        own_mb = own * speed.os.sysconf("SC_PAGE_SIZE") / 2**20
        tree_mb = speed.tree_memory_mb(parent.pid)["rss"]
        assert own_mb < 100
        assert tree_mb >= own_mb + 200
    finally:
        parent.stdin.close()
        parent.wait(30)


def test_proportional_memory_counts_a_forked_workers_shared_pages_once():
    """A parent holding 200 MB forks a worker that only reads them: summed RSS counts
    the 200 MB twice, summed PSS once (what the export's parent and workers really take)."""
    code = textwrap.dedent("""
        import os, sys
        block = bytearray(200 * 2**20)
        block[::4096] = b'x' * (len(block) // 4096)
        if os.fork() == 0:
            sum(block[::4096])
            print("ready", flush=True)
            sys.stdin.read()
            os._exit(0)
        sys.stdin.read()
    """)
    parent = subprocess.Popen([sys.executable, "-c", code], stdin=subprocess.PIPE,
                              stdout=subprocess.PIPE, text=True)
    try:
        assert parent.stdout.readline().strip() == "ready"
        memory = speed.tree_memory_mb(parent.pid)
        assert memory["rss"] >= 400
        assert 200 <= memory["pss"] <= memory["rss"] - 150
    finally:
        parent.stdin.close()
        parent.wait(30)


def test_the_table_shows_each_target_as_a_share_of_nginx_static():
    record = {
        "when": "2026-12-04 10:00 UTC", "machine": "2 CPUs", "load_before": "1.00 1.00 1.00",
        "load_after": "2.00 2.00 2.00", "software": "nginx", "command": "bench/speed.py",
        "stack_articles": 100, "connections": 16, "seconds": 5, "rounds": 1,
        "page_bytes": {"article": 22000},
        "pages": [
            {"page": "article", "target": "nginx static", "rps_median": 8000.0,
             "rps_runs": [8000.0], "ratio_to_static": 1.0},
            {"page": "article", "target": "app uncached", "rps_median": 10.0,
             "rps_runs": [10.0], "ratio_to_static": 10 / 8000},
        ],
        "page_runs": [{"page": "article", "target": "nginx static", "round": 1,
                       "load": "3.50 2.00 1.00"}],
        "sizes": [{"render": {"articles": 141, "article": 10, "article_sql_ms": 1.0,
                              "section": 4, "section_sql_ms": 0.5, "home": 6,
                              "home_sql_ms": 2.0, "tag": 6, "tag_sql_ms": 0.4, "author": 6,
                              "author_sql_ms": 0.3, "article_cpu_ms": 20.0,
                              "flat_cpu_ms": 0.5, "article_vs_flat": 40.0},
                   "export": {"urls": 1400, "files": 1500, "seconds": 100.0, "urls_per_s": 15.0,
                              "peak_tree_rss_mb": 300, "peak_tree_pss_mb": 180,
                              "first_seconds": 120.0, "first_peak_tree_rss_mb": 310,
                              "first_peak_tree_pss_mb": 190},
                   "export_load": "4.00 3.00 2.00"}],
    }
    text = speed.table(record)
    assert "| article | app uncached | 10.0 | 10.0 | 0.125 % |" in text
    assert "| article | nginx static | 8,000.0 | 8,000.0 | 100 % |" in text
    assert "| 141 | 1,400 (1,500) | 100.0 s | 15.0 | 300 / 180 MB | 120.0 s, 310 / 190 MB |" \
        in text
    assert "article/nginx static r1: 3.50" in text
    assert "load average before: 1.00 1.00 1.00" in text


def test_sizes_accept_spaces_or_commas():
    assert speed.sizes("100 10000") == speed.sizes("100,10000") == [100, 10000]
    assert speed.sizes("") == []


def test_lighthouse_scores_name_the_audits_below_full_marks():
    def category(*refs):
        return {"score": 0.96, "auditRefs": [{"id": i, "weight": w} for i, w in refs]}

    report = {
        "lighthouseVersion": "12.8.2",
        "categories": {"performance": {"score": 1, "auditRefs": []},
                       "accessibility": {"score": 1, "auditRefs": []},
                       "best-practices": category(("errors-in-console", 1), ("info", 0)),
                       "seo": {"score": 0.92, "auditRefs": [{"id": "meta-description",
                                                              "weight": 1}]}},
        "audits": {"errors-in-console": {"score": 0}, "info": {"score": 0},
                   "meta-description": {"score": 0},
                   "total-byte-weight": {"numericValue": 51200}},
    }
    scores = speed.lighthouse_scores(report)
    assert [scores[c] for c in speed.CATEGORIES] == [100, 100, 96, 92]
    assert scores["below_full"] == {"best-practices": ["errors-in-console"],
                                    "seo": ["meta-description"]}
    assert scores["total_bytes"] == 51200


def test_export_urls_are_read_from_the_export_state(tmp_path):
    import gzip
    import json

    state = tmp_path / ".out.export-state.json.gz"
    with gzip.open(state, "wt") as handle:
        json.dump({"pages": {"/": {}, "/news/": {}, "/feeds/rss/": {}}}, handle)
    assert speed.export_urls(state) == 3
    assert speed.export_urls(tmp_path / "missing.json.gz") is None
