"""`make demo`: audit the bundled sample cluster, print what it found, write every export to out/."""

from __future__ import annotations

import sys
import time
from pathlib import Path


def demo_files() -> list[str]:
    """One file per registered export format: findings.csv, findings.json, ..., report.html, results.xml."""
    from .export import formats

    return [f.stem + f.extensions[0] for f in formats()]


def run(out: Path) -> int:
    import k8saudit as ka

    from .export import export
    from .findings import audit
    from .report import text

    t0 = time.perf_counter()
    snap = ka.sample()
    findings = audit(snap)
    elapsed = time.perf_counter() - t0
    sys.stdout.write(text(findings, snap))
    out.mkdir(parents=True, exist_ok=True)
    print(f"\nLoaded and audited the sample cluster in {elapsed:.2f} s. Wrote:")
    for name in demo_files():
        path = export(findings, out / name, snapshot=snap)
        print(f"  {path}  ({path.stat().st_size / 1024:,.0f} KB)")
    snap.save(out / "sample-snapshot")
    print(f"  {out / 'sample-snapshot'}/  (a saved snapshot: `k8saudit scan {out / 'sample-snapshot'}`)")
    return 0
