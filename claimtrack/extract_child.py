"""Extracts one document's claims for `claimtrack.ingest.prepare_apart`: `python -m claimtrack.extract_child`.

Reads a pickled DocumentSource on stdin and writes the pickled PreparedDocument to stdout.
Both ends are this program and its parent, so pickle carries nothing from outside.
"""
import pickle
import sys

from claimtrack.prepare import prepare


def main() -> None:
    """Extract the document on stdin."""
    sys.stdout.buffer.write(pickle.dumps(prepare(pickle.loads(sys.stdin.buffer.read()))))


if __name__ == "__main__":
    main()
