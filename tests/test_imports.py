"""``import k8saudit`` is cheap: every public name is imported on first use (PEP 562), so a command loads only
what it needs. Checked in fresh interpreters, through ``sys.modules``."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import k8saudit as ka

#: libraries only some uses need: charts, widgets, templates, workbooks, fleets, attack graphs
HEAVY = ("networkx", "plotly", "ipywidgets", "jinja2", "openpyxl", "xlsxwriter", "dask", "distributed")


def _loaded(code: str) -> list[str]:
    """The HEAVY modules imported after running ``code`` in a fresh interpreter."""
    probe = f"import json, sys\n{code}\nprint(json.dumps(sorted(m for m in {HEAVY!r} if m in sys.modules)))"
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    loaded: list[str] = json.loads(out.stdout.strip().splitlines()[-1])
    return loaded


def test_import_k8saudit_imports_no_heavy_library_nor_pandas() -> None:
    probe = "import sys, k8saudit\nprint(sorted(m for m in ('pandas', 'numpy') if m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
    assert _loaded("import k8saudit") == []


def test_each_library_comes_with_the_first_use_that_needs_it() -> None:
    # an audit and its JSON export need no chart, widget, workbook or graph library
    assert _loaded("import k8saudit as ka; f = ka.audit(ka.sample()); ka.export(f, '/dev/null', format='csv')") == []
    # the attack graph brings networkx, and only it
    assert _loaded("import k8saudit as ka; ka.attack_graph") == ["networkx"]
    # a fleet run, not the name, imports Dask
    assert not {"dask", "distributed"} & set(_loaded("import k8saudit as ka; ka.fleet"))
    # the fleet's charts, not the fleet, import plotly
    assert _loaded("import k8saudit as ka; ka.fleet.sample") == []
    assert "plotly" in _loaded("import k8saudit as ka; ka.fleet.charts.heatmap")


def test_scan_to_json_imports_no_chart_widget_or_workbook_library(tmp_path: Path) -> None:
    code = (
        "import contextlib, io\nfrom k8saudit import cli\n"
        "with contextlib.redirect_stdout(io.StringIO()):\n"
        "    cli.main(['scan', 'sample', '--format', 'json', '--quiet'])"
    )
    assert _loaded(code) == ["networkx"]  # the attack-path columns of the JSON export need the graph


def test_the_lazy_names_are_the_real_objects() -> None:
    from k8saudit.diff import diff
    from k8saudit.export import export
    from k8saudit.findings import audit
    from k8saudit.paths import attack_graph

    # importing the submodules ``k8saudit.export`` and ``k8saudit.diff`` leaves the functions of those names
    assert ka.export is export and ka.diff is diff
    assert ka.audit is audit and ka.attack_graph is attack_graph
    assert ka.vocab.SEVERITIES == ("info", "low", "medium", "high", "critical")
    assert callable(ka.workshop.progress)


def test_dir_lists_every_public_name() -> None:
    names = dir(ka)
    assert set(ka.__all__) <= set(names)
    assert {"attack_graph", "attack_paths", "prioritize", "fleet", "export", "audit"} <= set(names)
    for name in ka.__all__:
        assert getattr(ka, name) is not None, name


def test_an_unknown_name_is_an_attribute_error() -> None:
    try:
        ka.no_such_name  # noqa: B018
    except AttributeError as e:
        assert "no_such_name" in str(e)
    else:
        raise AssertionError("ka.no_such_name did not raise")
