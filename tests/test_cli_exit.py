"""The console script (``k8saudit.cli.run``): once ``scan`` has written everything, the process leaves without
tearing the interpreter down; what it wrote, its exit status and the ``atexit`` functions are the same as an
ordinary exit's. Each case runs in a fresh process, as a user runs the command."""

from __future__ import annotations

import ast
import json
import os
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from k8saudit.cli import _MALLOC_ENV, _glibc

#: a module global with a finalizer: an ordinary exit clears ``__main__`` and prints "torn down"; a quick one does not
PROBE = """
import atexit, sys
class Probe:
    def __del__(self):
        sys.stderr.write("torn down\\n")
probe = Probe()
atexit.register(lambda: sys.stderr.write("atexit ran\\n"))
from k8saudit.cli import {entry}
{call}
"""


def _run(*argv: str, entry: str = "run") -> subprocess.CompletedProcess[str]:
    call = "run()" if entry == "run" else "sys.exit(main())"
    return subprocess.run(
        [sys.executable, "-c", PROBE.format(entry=entry, call=call), *argv],
        capture_output=True,
        text=True,
        timeout=300,
    )


def _findings(doc: str) -> pd.DataFrame:
    return pd.DataFrame(json.loads(doc)["findings"])


def test_scan_leaves_at_once_with_its_whole_output_and_the_atexit_functions_run() -> None:
    quick = _run("scan", "sample", "--format", "json", "-q")
    plain = _run("scan", "sample", "--format", "json", "-q", entry="main")
    assert quick.returncode == plain.returncode == 0, quick.stderr + plain.stderr
    # the whole document, the same findings and attack-path priorities as an ordinary exit writes
    pd.testing.assert_frame_equal(_findings(quick.stdout), _findings(plain.stdout))
    assert quick.stdout.rstrip().endswith("}")
    assert "atexit ran" in quick.stderr and "atexit ran" in plain.stderr
    # the quick exit skips the teardown (module globals are never cleared); the ordinary one does it
    assert "torn down" not in quick.stderr
    assert "torn down" in plain.stderr


def test_the_exit_status_and_its_message_survive_the_quick_exit() -> None:
    p = _run("scan", "sample", "--fail-on", "high")
    assert p.returncode == 1
    assert "at or above high" in p.stderr and "not exempt (exit 1)" in p.stderr
    assert p.stdout.rstrip().endswith("band: good >= 95%, fair >= 80%, poor below")  # the text report, to its end
    assert "torn down" not in p.stderr


def test_files_written_with_o_are_complete(tmp_path: Path) -> None:
    sarif, csv = tmp_path / "f.sarif", tmp_path / "f.csv"
    p = _run("scan", "sample", "-o", str(sarif), "-o", str(csv), "-q")
    assert p.returncode == 0, p.stderr
    assert json.loads(sarif.read_text(encoding="utf-8"))["runs"][0]["results"]
    rows = pd.read_csv(csv, encoding="utf-8-sig")
    assert len(rows) == len(json.loads(sarif.read_text(encoding="utf-8"))["runs"][0]["results"]) > 0


def test_a_usage_error_exits_the_ordinary_way() -> None:
    p = _run("scan", "sample", "--fail-on", "severe", "-q")
    assert p.returncode == 2 and "--fail-on" in p.stderr
    assert "torn down" in p.stderr  # not a finished scan: nothing to gain, the ordinary exit


def test_a_reader_that_leaves_early_gets_no_traceback() -> None:
    proc = subprocess.Popen(
        [sys.executable, "-c", PROBE.format(entry="run", call="run()"), "scan", "sample", "--format", "json", "-q"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    assert proc.stdout is not None and proc.stderr is not None
    assert proc.stdout.read(10).startswith(b"{")
    proc.stdout.close()  # the reader goes away (`k8saudit scan ... | head -c 10`)
    err = proc.stderr.read().decode()
    assert proc.wait(timeout=300) == 0
    assert "Traceback" not in err and "Exception ignored" not in err


BLAS_PROBE = """
import atexit, os, sys
atexit.register(lambda: sys.stderr.write("blas=" + os.environ.get("OPENBLAS_NUM_THREADS", "unset") + "\\n"))
from k8saudit.cli import run
assert "numpy" not in sys.modules  # set before numpy reads it
run()
"""


def test_the_command_starts_numpy_with_one_blas_thread_unless_told_otherwise() -> None:
    def blas(env: dict[str, str]) -> str:
        p = subprocess.run(
            [sys.executable, "-c", BLAS_PROBE, "scan", "sample", "--format", "json", "-q"],
            capture_output=True,
            text=True,
            timeout=300,
            env=env,
        )
        assert p.returncode == 0, p.stderr
        return p.stderr.strip().splitlines()[-1]

    env = {k: v for k, v in os.environ.items() if k != "OPENBLAS_NUM_THREADS"}
    assert blas(env) == "blas=1"
    assert blas({**env, "OPENBLAS_NUM_THREADS": "3"}) == "blas=3"  # the user's setting is kept


GC_PROBE = """
import atexit, gc, sys
{before}
collections = [0]
gc.callbacks.append(lambda phase, info: phase == "start" and collections.__setitem__(0, collections[0] + 1))
seen = []
import k8saudit.cli as cli
main = cli.main
def spy(*a, **k):
    seen.append((gc.isenabled(), collections[0], gc.get_freeze_count(), "pandas" in sys.modules))
    return main(*a, **k)
cli.main = spy
atexit.register(lambda: sys.stderr.write(f"seen={{seen}}\\n"))
collections[0] = 0
cli.run()
"""


def _gc_seen(before: str = "") -> tuple[bool, int, int, bool]:
    p = subprocess.run(
        [sys.executable, "-c", GC_PROBE.format(before=before), "scan", "sample", "--format", "json", "-q"],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert p.returncode == 0, p.stderr
    seen = ast.literal_eval(p.stderr.strip().splitlines()[-1].removeprefix("seen="))
    assert len(seen) == 1
    return seen[0]


def test_the_libraries_are_imported_without_a_collection_and_the_collector_is_back_for_the_command() -> None:
    enabled, collections, frozen, pandas_in = _gc_seen()
    # pandas, numpy and pyarrow came in before the command ran, without one collection walking them...
    assert pandas_in and collections == 0
    # ...and the collector runs for the command itself, with nothing left frozen (the ordinary exit, after an
    # error, tears down as it always did)
    assert enabled and frozen == 0


def test_a_collector_switched_off_before_the_command_stays_off() -> None:
    enabled, collections, frozen, _ = _gc_seen("gc.disable()")
    assert not enabled and collections == 0 and frozen == 0


MEMORY_PROBE = """
import os, sys
import k8saudit.cli as cli
PAGE = os.sysconf("SC_PAGE_SIZE")
def rss():
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * PAGE
def command(argv=None):
    before = rss()
    block = bytearray(100 * 1024**2)
    block[::PAGE] = b"\\x01" * len(range(0, len(block), PAGE))  # every page touched
    during = rss()
    del block
    sys.stderr.write(f"memory={{(during - before) >> 20}},{{(rss() - before) >> 20}}\\n")
    return 0
cli.main = command
{call}
"""


def _kept_mb(call: str, **env: str) -> tuple[int, int]:
    """MB a 100 MB block added to the process, and MB of it still held once freed, in a fresh process."""
    base = {k: v for k, v in os.environ.items() if k not in _MALLOC_ENV}
    p = subprocess.run(
        [sys.executable, "-c", MEMORY_PROBE.format(call=call)],
        capture_output=True,
        text=True,
        timeout=300,
        env={**base, **env},
    )
    assert p.returncode == 0, p.stderr
    during, after = p.stderr.strip().splitlines()[-1].removeprefix("memory=").split(",")
    return int(during), int(after)


@pytest.mark.skipif(not _glibc() or not Path("/proc/self/statm").exists(), reason="glibc's thresholds, Linux's /proc")
def test_the_command_keeps_the_large_blocks_it_frees_unless_told_otherwise() -> None:
    during, after = _kept_mb("cli.run()")
    assert during >= 95 and after >= 95  # freed, but kept for the next block (glibc would have unmapped it)
    # the user's own setting is theirs: the thresholds are left alone, and the block goes back to the system
    during, after = _kept_mb("cli.run()", MALLOC_MMAP_THRESHOLD_="131072")
    assert during >= 95 and after < 10
    during, after = _kept_mb("cli.run()", GLIBC_TUNABLES="glibc.malloc.check=0")
    assert during >= 95 and after < 10
    # the library (a notebook's kernel) never changes how its process allocates: only the console script does
    during, after = _kept_mb("sys.exit(cli.main())")
    assert during >= 95 and after < 10
