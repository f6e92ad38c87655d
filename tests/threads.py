"""Run test work in parallel threads, as concurrent reviewers or tabs would."""
import threading
from collections.abc import Callable, Iterable
from typing import Any


def run_in_threads(work: Callable[[Any], None], arguments: Iterable[Any], timeout: float) -> None:
    """Call `work(argument)` in a thread of its own for each argument, all at once; fail if any thread
    raised (every exception shown) or had not finished within `timeout` seconds."""
    errors: list[BaseException] = []

    def guarded(argument):
        try:
            work(argument)
        except BaseException as exc:  # noqa: BLE001 - handed to the main thread, which fails on it
            errors.append(exc)

    threads = [threading.Thread(target=guarded, args=(argument,), daemon=True) for argument in arguments]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout)
    stuck = sum(thread.is_alive() for thread in threads)
    assert not stuck, f"{stuck} of {len(threads)} threads still running after {timeout} s"
    assert not errors, errors
