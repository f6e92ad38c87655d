"""Start-up of `claimtrack extract` on one seed as a whole process, beside the interpreter's own start.

usage: python -m bench.startup [--runs 5] [--baseline DIR] [--no-write]
Each command runs --runs times, the commands taking turns so a change in the machine's load
falls on all of them; the figure is the median wall time of the whole process (start, imports,
extraction, output, exit), with its CPU time (user + system) beside it, which depends far less
on what else the machine is running. "first run" is `claimtrack extract` with an empty cache folder, as
on a new install, when the unit, place and word tables are built from their packages and saved. --baseline DIR also
times the `claimtrack` entry point of another checkout (e.g. an export of an older commit).
"""
import argparse
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
import tomllib
from pathlib import Path

from . import report

ROOT = Path(__file__).resolve().parents[1]
SEED = next(iter(sorted((ROOT / "seeds").glob("000_*.txt"))))
TARGET_SECONDS = 0.4
NOTE = (
    "Wall time counts the waits for a CPU on a loaded machine (a load average above the number of "
    "cores stretches every row alike); CPU time is what the process itself needs. What a run "
    "loads: `python -X importtime -c \"from claimtrack.cli import main; main()\" extract FILE`."
)


def _script() -> Path:
    """The installed `claimtrack` console script beside this interpreter."""
    script = Path(sys.executable).parent / "claimtrack"
    if not script.exists():
        sys.exit(f"no claimtrack script beside {sys.executable}: install the project first (make install)")
    return script


def _entry_point_call(checkout: Path) -> str:
    """Python that runs the `claimtrack` entry point named in `checkout`'s pyproject.toml."""
    entry = tomllib.loads((checkout / "pyproject.toml").read_text())["project"]["scripts"]["claimtrack"]
    module, function = entry.split(":")
    return f"import sys; sys.argv[0] = 'claimtrack'; from {module} import {function}; {function}()"


def commands(baseline: Path | None) -> dict[str, tuple[list[str], dict[str, str] | None, Path]]:
    """Label: (argv, extra environment or None, working directory) of each timed command."""
    python, extract = sys.executable, [str(_script()), "extract", str(SEED)]
    timed = {
        "python -c pass": ([python, "-c", "pass"], None, ROOT),
        'python -c "from claimtrack.extract import iter_claims"': (
            [python, "-c", "from claimtrack.extract import iter_claims"], None, ROOT),
        f"claimtrack extract seeds/{SEED.name}": (extract, None, ROOT),
        f"claimtrack extract seeds/{SEED.name}, first run (empty cache folder)": (extract, {"XDG_CACHE_HOME": ""}, ROOT),
        f"flask --app webapp extract seeds/{SEED.name}": (
            [str(Path(python).parent / "flask"), "--app", "webapp", "extract", str(SEED)], None, ROOT),
    }
    if baseline:
        timed[f"claimtrack extract seeds/{SEED.name} at {baseline}"] = (
            [python, "-c", _entry_point_call(baseline), "extract", str(baseline / "seeds" / SEED.name)],
            {"PYTHONPATH": str(baseline)}, baseline)
    return timed


def _children_cpu() -> float:
    """CPU seconds (user + system) of this process's finished children so far."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def run_once(argv: list[str], extra_env: dict[str, str] | None, cwd: Path) -> tuple[float, float]:
    """Wall and CPU seconds of one run; a failed run or one printing no claim stops the benchmark."""
    env = dict(os.environ)
    # An installed program has its bytecode; a shell that forbids writing it would time compiling instead.
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    with tempfile.TemporaryDirectory() as empty:
        for name, value in (extra_env or {}).items():
            env[name] = value or empty
        started, cpu = time.perf_counter(), _children_cpu()
        done = subprocess.run(argv, cwd=cwd, env=env, capture_output=True, text=True)
        elapsed, cpu = time.perf_counter() - started, _children_cpu() - cpu
    if done.returncode != 0 or ("extract" in argv and not done.stdout.strip()):
        sys.exit(f"{' '.join(argv)} failed ({done.returncode}): {done.stderr.strip()[-500:]}")
    return elapsed, cpu


def measure(timed: dict, runs: int) -> dict[str, list[tuple[float, float]]]:
    """Wall and CPU seconds of every run of every command, taking turns after one untimed warm-up each."""
    for argv, extra_env, cwd in timed.values():
        run_once(argv, extra_env, cwd)
    seconds: dict[str, list[tuple[float, float]]] = {label: [] for label in timed}
    for _ in range(runs):
        for label, (argv, extra_env, cwd) in timed.items():
            seconds[label].append(run_once(argv, extra_env, cwd))
    return seconds


def _median_wall(runs: list[tuple[float, float]]) -> float:
    return statistics.median(wall for wall, _ in runs)


def table(seconds: dict[str, list[tuple[float, float]]]) -> list[str]:
    """Markdown rows: median, fastest and slowest wall time, the median against `python -c pass`, median CPU."""
    interpreter = _median_wall(seconds["python -c pass"])
    lines = ["| command | median s | fastest s | slowest s | × python -c pass | above python -c pass s | median CPU s |",
             "| --- | ---: | ---: | ---: | ---: | ---: | ---: |"]
    for label, runs in seconds.items():
        walls = [wall for wall, _ in runs]
        median = statistics.median(walls)
        lines.append(f"| `{label}` | {median:.3f} | {min(walls):.3f} | {max(walls):.3f} | "
                     f"{median / interpreter:.1f} | {median - interpreter:.3f} | "
                     f"{statistics.median(cpu for _, cpu in runs):.3f} |")
    return lines


def main() -> None:
    """Time the commands, print the table and write its section of RESULTS.md."""
    parser = argparse.ArgumentParser(prog="python -m bench.startup", description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--baseline", type=Path, help="another checkout whose claimtrack extract is timed too")
    parser.add_argument("--no-write", action="store_true", help="print the figures without touching RESULTS.md")
    args = parser.parse_args()
    load_before = report.load()
    seconds = measure(commands(args.baseline.resolve() if args.baseline else None), args.runs)
    lines = table(seconds)
    extract = _median_wall(seconds[f"claimtrack extract seeds/{SEED.name}"])
    verdict = (f"Target: `claimtrack extract seeds/{SEED.name}` under {TARGET_SECONDS} s as a whole process "
               f"(median of {args.runs}): {extract:.3f} s, {'met' if extract < TARGET_SECONDS else 'NOT met'}. "
               f"Machine load before the runs: {load_before}; after: {report.load()}.")
    print("\n".join(lines) + "\n\n" + verdict)
    if not args.no_write:
        command = f"python -m bench.startup --runs {args.runs}" + (f" --baseline {args.baseline}" if args.baseline else "")
        report.write_section("Start-up", report.header(command) + "\n" + "\n".join(lines) + "\n\n" + verdict
                             + "\n\n" + NOTE + "\n")


if __name__ == "__main__":
    main()
