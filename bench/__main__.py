"""Run the benchmarks: `python -m bench` (small, about 100,000 claims), `--full` (1M claims), `--list`.

Each benchmark is its own module (`python -m bench.NAME --help`) and writes its section of
bench/RESULTS.md; this runs them one after another, each in its own process.
"""
import argparse
import importlib.util
import subprocess
import sys
import time

# name: (what it measures, its arguments for a small run, for a full run); {claims} is filled in.
BENCHMARKS = {
    "extract_speed": ("extraction speed and memory against quantulum3", [], []),
    "startup": ("whole-process `claimtrack extract` on one seed beside `python -c pass`", [], []),
    "ingest": ("ingest + extraction throughput against a bulk insert of the same rows",
               ["--documents", "300"], ["--documents", "2000"]),
    "lease_next": ("lease next claim as a service call (no HTTP)", ["--claims", "{claims}", "--samples", "100"],
                   ["--claims", "{claims}"]),
    "http_load": ("lease / verify / claims list latency under 8 reviewers over HTTP",
                  ["--claims", "{claims}", "--seconds", "20", "--loops", "100"],
                  ["--claims", "{claims}", "--seconds", "60", "--loops", "300"]),
    "conflicts": ("conflict detection, full and incremental", ["--claims", "{claims}"], ["--claims", "{claims}"]),
    "export": ("CSV export against COPY", ["--claims", "{claims}"], ["--claims", "{claims}"]),
    "search": ("/claims?q= and /queue/next?q= against indexed lookups", ["--claims", "{claims}", "--samples", "20"],
               ["--claims", "{claims}"]),
    "upload_queue": ("another reviewer's /queue while a 5 MiB document is uploaded", ["--uploads", "1"],
                     ["--backend", "both", "--uploads", "3"]),
}


def _present(name: str) -> bool:
    return importlib.util.find_spec(f"bench.{name}") is not None


def _accepts(name: str, option: str) -> bool:
    """Whether the benchmark's command line knows `option` (not every benchmark takes --claims)."""
    result = subprocess.run([sys.executable, "-m", f"bench.{name}", "--help"], capture_output=True, text=True)
    return option in result.stdout


def main(argv: list[str] | None = None) -> int:
    """Run (or list) the benchmarks; return the number that failed."""
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.splitlines()[0])
    parser.add_argument("names", nargs="*", help="benchmarks to run (default: all present)")
    parser.add_argument("--full", action="store_true", help="the full sizes (1M claims): tens of minutes")
    parser.add_argument("--claims", type=int, help="claims in the generated database (default 100,000; 1M with --full)")
    parser.add_argument("--list", action="store_true", help="list the benchmarks and exit")
    args = parser.parse_args(argv)
    if args.list:
        for name, (what, _, _) in BENCHMARKS.items():
            print(f"{name:14} {what}{'' if _present(name) else '  (not present)'}")
        return 0
    claims = args.claims or (1_000_000 if args.full else 100_000)
    failed = 0
    for name in args.names or [n for n in BENCHMARKS if _present(n)]:
        if name not in BENCHMARKS or not _present(name):
            print(f"== {name}: no such benchmark", file=sys.stderr)
            failed += 1
            continue
        arguments = [a.format(claims=claims) for a in BENCHMARKS[name][2 if args.full else 1]]
        if "--claims" in arguments and not _accepts(name, "--claims"):
            arguments = []
        print(f"== {name} {' '.join(arguments)}", file=sys.stderr, flush=True)
        started = time.perf_counter()
        code = subprocess.run([sys.executable, "-m", f"bench.{name}", *arguments]).returncode
        print(f"== {name}: {'ok' if code == 0 else f'exit status {code}'} in {time.perf_counter() - started:.0f} s",
              file=sys.stderr)
        failed += code != 0
    return failed


if __name__ == "__main__":
    sys.exit(main())
