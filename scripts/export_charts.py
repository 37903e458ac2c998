"""Write PNGs of the overview charts and each practice's main chart (on the sample cluster) to docs/img/.

    python scripts/export_charts.py [--out docs/img] [--source sample]

Needs kaleido and a Chromium: Debian's ``chromium`` package is found on its own
(``BROWSER_PATH=/usr/bin/chromium`` points kaleido at another one).
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import time
from pathlib import Path

import plotly.io as pio

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from k8saudit import viz  # noqa: E402
from k8saudit.findings import audit, scorecard  # noqa: E402
from k8saudit.notebook import open_source  # noqa: E402

#: file name of each practice's main chart
PRACTICE_FILES = {
    1: "p01-secrets-sources",
    2: "p02-apiserver-flags",
    3: "p03-capabilities",
    4: "p04-host-namespaces",
    5: "p05-rbac-sankey",
    6: "p06-rootfs",
    7: "p07-network-coverage",
    8: "p08-privilege-matrix",
    9: "p09-proc-mount",
    10: "p10-rollout",
}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", default=str(ROOT / "docs" / "img"))
    ap.add_argument("--source", default="sample", help="sample, a path, or context:NAME")
    args = ap.parse_args(argv)
    if "BROWSER_PATH" not in os.environ and Path("/usr/bin/chromium").exists():
        os.environ["BROWSER_PATH"] = "/usr/bin/chromium"
    if not (os.environ.get("BROWSER_PATH") or shutil.which("chromium") or shutil.which("google-chrome")):
        print("no Chromium found: install Debian's chromium or set BROWSER_PATH", file=sys.stderr)
        return 2
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    snap = open_source(args.source)
    findings = audit(snap)
    figures = {
        "overview-heatmap": viz.severity_heatmap(findings),
        "overview-namespaces": viz.findings_by_namespace(findings),
        "overview-pss": viz.pss_levels(snap.workloads),
        "overview-scorecard": viz.scorecard_bar(scorecard(findings), findings),
        "p07-exposed-services": viz.exposed_services(snap.services, snap.nodes),
    }
    figures.update({name: viz.practice_chart(n, snap, findings) for n, name in PRACTICE_FILES.items()})
    t0 = time.perf_counter()
    paths = [out / f"{name}.png" for name in figures]
    figs = list(figures.values())
    pio.write_images(
        figs,
        paths,
        scale=2,  # one browser for all of them; sizes as each figure's layout says
        width=[f.layout.width or 900 for f in figs],
        height=[f.layout.height or 500 for f in figs],
    )
    for path in paths:
        print(f"wrote {path.relative_to(ROOT) if path.is_relative_to(ROOT) else path}")
    print(f"{len(figures)} charts in {time.perf_counter() - t0:.1f}s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
