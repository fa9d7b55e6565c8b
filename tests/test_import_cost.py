"""``import crimestats`` stays light: the heavy modules load where they are used.

Checks of which modules a command imports, not timings: pandas costs about half a second to
import, matplotlib and scipy.stats most of a second each, which ``crimestats status`` and a
refresh that finds nothing new would pay for nothing (issue 15: they start "well under a second").
"""

from __future__ import annotations

import ast
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import crimestats as cs

HEAVY = ("pandas", "numpy", "pyarrow", "scipy", "matplotlib")
STREET = Path(cs.datasets.path("police-uk-city-of-london-2017-01"))


def _run(code: str) -> dict:
    """Run ``code`` in a fresh interpreter; it prints a JSON object as its last line."""
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


def _after_command(argv: list[str]) -> dict:
    """Exit code of ``crimestats argv`` and the heavy modules it imported, from a fresh interpreter."""
    code = (
        "import contextlib, io, json, sys\n"
        "from crimestats.cli import main\n"
        "with contextlib.redirect_stdout(io.StringIO()):\n"
        f"    rc = main({argv!r})\n"
        f"print(json.dumps({{'rc': rc, 'heavy': sorted(m for m in {HEAVY!r} if m in sys.modules)}}))"
    )
    return _run(code)


def test_import_does_not_load_pandas_matplotlib_or_scipy():
    code = (
        "import crimestats, crimestats.cli, crimestats.store, crimestats.sources, json, sys; "
        f"print(json.dumps(sorted(m for m in {HEAVY!r} if m in sys.modules)))"
    )
    assert _run(code) == []


def test_status_and_a_refresh_finding_nothing_new_import_no_pandas(tmp_path):
    download = tmp_path / "download" / "2017-01"
    download.mkdir(parents=True)
    shutil.copy(STREET, download / STREET.name)
    # A real download holds outcomes files too: skipping them must not need the readers either.
    (download / "2017-01-city-of-london-outcomes.csv").write_text("Crime ID,Month,Outcome type\n")
    store = tmp_path / "store"
    first = _after_command(["refresh", str(tmp_path / "download"), "--store", str(store), "--quiet"])
    assert first["rc"] == 0 and "pandas" in first["heavy"]  # something was read: the readers were needed

    again = _after_command(["refresh", str(tmp_path / "download"), "--store", str(store), "--quiet"])
    assert again == {"rc": 0, "heavy": []}
    # The file given on its own (no folder walked, so no skip rule asked first).
    alone = _after_command(["refresh", str(download / STREET.name), "--store", str(store), "--quiet"])
    assert alone == {"rc": 0, "heavy": []}
    assert _after_command(["status", "--store", str(store)]) == {"rc": 0, "heavy": []}
    assert _after_command(["status", "--store", str(store), "--json"]) == {"rc": 0, "heavy": []}

    # The same content with a new modification time (a download fetched again): recognised and hashed, not read.
    street = download / STREET.name
    os.utime(street, ns=(street.stat().st_atime_ns, street.stat().st_mtime_ns + 10**9))
    touched = _after_command(["refresh", str(tmp_path / "download"), "--store", str(store), "--quiet"])
    assert touched == {"rc": 0, "heavy": []}

    # A changed file is read again, and that refresh imports what reading needs.
    street.write_bytes(street.read_bytes() + b"\n")
    changed = _after_command(["refresh", str(tmp_path / "download"), "--store", str(store), "--quiet"])
    assert changed["rc"] == 0 and "pandas" in changed["heavy"]


def test_the_cli_status_rows_are_the_store_status_frame(tmp_path):
    store = cs.Store(tmp_path / "store")
    store.refresh([STREET])
    table = store.status()
    code = (
        "import contextlib, io, json\n"
        "from crimestats.cli import main\n"
        "out = io.StringIO()\n"
        "with contextlib.redirect_stdout(out):\n"
        f"    main(['status', '--store', {str(store.root)!r}, '--json'])\n"
        "print(json.dumps(json.loads(out.getvalue())))"
    )
    shown = _run(code)
    assert shown["coverage"] == json.loads(table.to_json(orient="records"))
    assert {key: shown[key] for key in table.attrs} == table.attrs


def test_every_public_name_resolves_and_a_function_named_like_its_module_stays_the_function():
    code = (
        "import json, crimestats as cs\n"
        "from crimestats.severity import weigh\n"  # importing the module sets cs.severity: it stays the function
        "missing = [name for name in cs.__all__ if getattr(cs, name, None) is None]\n"
        "print(json.dumps({'missing': missing, 'severity': callable(cs.severity) and cs.severity.__name__}))"
    )
    assert _run(code) == {"missing": [], "severity": "severity"}
    assert "read_police_uk" in dir(cs)


def test_what_type_checkers_see_is_what_the_package_exports():
    # The imports under TYPE_CHECKING and the lazy table name the same things from the same modules.
    tree = ast.parse(Path(cs.__file__).read_text(encoding="utf-8"))
    checked = next(node for node in tree.body if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test))
    imported: dict[str, str] = {}
    for node in checked.body:
        assert isinstance(node, ast.ImportFrom)
        for alias in node.names:
            imported[alias.name] = node.module or alias.name
    lazy = {name: module for module, names in cs._EXPORTS.items() for name in names}
    lazy.update({name: name for name in cs._SUBMODULES if name != "plotting"})
    assert imported == lazy


def test_every_submodule_is_an_attribute_of_the_package_from_the_start():
    code = (
        "import json, crimestats as cs\n"
        "print(json.dumps([callable(cs.periods.resolve_period), cs.store.Store is cs.Store,\n"
        "                  'metrics' in dir(cs), hasattr(cs, 'no_such_module')]))"
    )
    assert _run(code) == [True, True, True, False]


def test_the_lazy_names_still_resolve():
    from crimestats import snapshot

    assert cs.plotting.A4_TEXT_WIDTH_IN > 0
    assert callable(snapshot.draw_figures)
