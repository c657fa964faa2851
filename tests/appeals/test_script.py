"""The reader-side script stays small: no framework, under 10 KB uncompressed."""


def test_script_stays_under_ten_kilobytes():
    from pathlib import Path

    import samizdat.appeals

    script = Path(samizdat.appeals.__file__).parent / "static" / "appeals" / "appeals.js"
    assert script.stat().st_size < 10_000
