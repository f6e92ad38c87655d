"""What starting a command loads: `claimtrack extract` runs without the app, the database or pint."""
import json
import os
import subprocess
import sys
from pathlib import Path

from claimtrack.conflicts import compare
from claimtrack.extract import units

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


def _document(tmp_path: Path) -> Path:
    path = tmp_path / "plant.txt"
    path.write_text("The plant stores 340 litres of fuel. Its reservoir covers 12 km2.\n", encoding="utf-8")
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


def test_extract_command_builds_unit_tables_once_then_runs_without_pint(tmp_path):
    document, cache_home = _document(tmp_path), tmp_path / "cache"
    first, first_imports = _run_script(["extract", str(document)], cache_home)
    second, second_imports = _run_script(["extract", str(document)], cache_home)
    assert first.returncode == 0 and second.returncode == 0, first.stderr[-2000:] + second.stderr[-2000:]
    assert first.stdout == second.stdout != ""
    assert "pint" in first_imports
    assert len(list((cache_home / "claimtrack").glob("units-*.json"))) == 1
    assert "pint" not in second_imports and "numpy" not in second_imports


def test_extract_command_errors_like_the_app_cli(tmp_path):
    done, imported = _run_script(["extract", "--published", "5 May", str(_document(tmp_path))], tmp_path / "cache")
    assert done.returncode == 2
    assert "Usage: claimtrack extract" in done.stderr and "use YYYY-MM-DD" in done.stderr
    assert not {name.split(".")[0] for name in imported} & APP_AND_DATABASE


def test_help_lists_every_command_through_the_app_cli(tmp_path):
    done, imported = _run_script(["--help"], tmp_path / "cache")
    assert done.returncode == 0, done.stderr[-2000:]
    listed = {line.split()[0] for line in done.stdout.split("Commands:")[1].splitlines() if line.strip()}
    assert listed == {"conflicts", "create-user", "db", "demo-users", "export", "extract", "ingest", "serve"}
    assert "flask" in imported


def test_unit_tables_from_the_cache_are_the_tables_pint_builds(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    built = units.load_tables()
    assert units._tables_cache_file().is_file()
    assert units.load_tables() == built == units._build_tables()
    assert built == (units.WORD_UNITS, units.ABBREV_UNITS, units.GLUED_UNITS, units.PER_UNITS, units.SYMBOL_UNITS)


def test_unit_tables_rebuilt_over_a_damaged_cache_file(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    path = units._tables_cache_file()
    path.parent.mkdir(parents=True)
    for damage in ('{"km": "km"', '[{"km": 3}]', "[]", "[{}]", "\x00\x01"):
        path.write_text(damage, encoding="utf-8")
        assert units.load_tables() == units._build_tables()
        assert tuple(json.loads(path.read_text(encoding="utf-8"))) == units._build_tables()


def test_unit_tables_built_when_the_cache_folder_cannot_be_made(tmp_path, monkeypatch):
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("", encoding="utf-8")
    monkeypatch.setenv("XDG_CACHE_HOME", str(blocker))
    assert units.load_tables() == units._build_tables()
    assert blocker.read_text(encoding="utf-8") == ""


def test_unit_tables_cache_file_follows_the_module_source(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    current = units._tables_cache_file()
    edited = tmp_path / "units.py"
    edited.write_bytes(Path(units.__file__).read_bytes() + b"\n# one more line\n")
    monkeypatch.setattr(units, "__file__", str(edited))
    assert units._tables_cache_file() != current


def test_one_unit_registry_shared_by_extraction_and_conflicts():
    assert units.registry() is units.registry()
    assert compare.registry is units.registry
    assert compare.dimension_of("mi").name == compare.dimension_of("km").name
    assert abs(compare.dimension_of("mi").factor / compare.dimension_of("km").factor - 1.609344) < 1e-9


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
