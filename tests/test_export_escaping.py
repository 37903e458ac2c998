"""Text from the cluster reaches terminals, CSV and Markdown inert: no bidi trickery, no links or images."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

import k8saudit as ka
from k8saudit import report
from k8saudit._util import unvisible, visible
from k8saudit.export import findings_to_text, frame_to_text, read_findings

BIDI = [
    "\u202a",
    "\u202b",
    "\u202c",
    "\u202d",
    "\u202e",
    "\u2066",
    "\u2067",
    "\u2068",
    "\u2069",
    "\u200e",
    "\u200f",
    "\u061c",
]
RAW_UNSAFE = re.compile("[\u202a-\u202e\u2066-\u2069\u200e\u200f\u061c\x1b\u200b]")

EVIL = """\
apiVersion: v1
kind: Pod
metadata:
  name: "invoice\u202efdp.exe"
  namespace: "pay\u2066ments"
  annotations:
    k8saudit.io/ignore: run-as-root
    k8saudit.io/exempt-reason: "approved ![x](http://evil.example/pixel.png) see [ticket](http://phish.example) \u202eor www.phish.example or ops@phish.example"
spec:
  containers:
  - name: "web`<img src=x onerror=alert(1)>`\u200b"
    image: "evil.example/\u2067miner:1\x1b[2J"
    securityContext: {privileged: true}
"""


@pytest.fixture(scope="module")
def findings(tmp_path_factory: pytest.TempPathFactory) -> tuple[ka.Snapshot, object]:
    d = tmp_path_factory.mktemp("evil")
    (d / "evil.yaml").write_text(EVIL)
    snap = ka.load(d)
    assert snap.skipped.empty
    f = ka.audit(snap)
    assert "privileged" in set(f.check_id)
    assert f["exempt_reason"].dropna().str.contains("\u202e").any()  # the raw text does reach the findings
    return snap, f


def test_visible_escapes_every_bidi_control() -> None:
    for ch in BIDI:
        out = visible(f"a{ch}b")
        assert ch not in out and out == f"a\\u{ord(ch):04x}b"
        assert unvisible(out) == f"a{ch}b"
    assert visible("tab\tand\nnewline stay") == "tab\tand\nnewline stay"
    assert visible("\x1b[31mred") == "\\x1b[31mred"


def test_terminal_report_and_tables(findings: tuple[ka.Snapshot, object]) -> None:
    snap, f = findings
    for out in (
        report.text(f, snap, show_exempt=True),
        frame_to_text(f, "table"),
        frame_to_text(snap.containers, "table"),
    ):
        assert not RAW_UNSAFE.search(out)
        assert "\\u202e" in out


def test_csv(findings: tuple[ka.Snapshot, object], tmp_path: Path) -> None:
    _, f = findings
    text = findings_to_text(f, "csv")
    assert not RAW_UNSAFE.search(text) and "invoice\\u202efdp.exe" in text
    path = tmp_path / "f.csv"
    ka.export(f, path)
    back = read_findings(path)
    assert back["name"].tolist() == f["name"].tolist()  # the escapes read back as the original text


def test_markdown_renders_no_link_image_or_html(findings: tuple[ka.Snapshot, object]) -> None:
    mistune = pytest.importorskip("mistune")
    snap, f = findings
    md = findings_to_text(f, "markdown", snapshot=snap)
    assert not RAW_UNSAFE.search(md)
    html = mistune.create_markdown(plugins=["table", "url"])(md)
    cells = "".join(re.findall(r"<td>(.*?)</td>", html, re.S))
    assert "invoice\\u202efdp.exe" in cells and "evil.example/pixel.png" in cells
    for bad in ("<a ", "<img", "<b>", "onerror=alert(1)>"):
        assert bad not in cells
    # GitHub's autolinks: the URL, www. and e-mail are broken up in the Markdown source
    assert "http://phish" not in md and "www.phish" not in md and "ops@phish" not in md
    # a frame as Markdown goes through the same escaping
    assert "<img" not in mistune.create_markdown(plugins=["table"])(frame_to_text(snap.containers, "markdown"))
