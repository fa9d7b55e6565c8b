"""``import crimestats`` stays light: the heavy modules load where they are used."""

import subprocess
import sys


def test_import_does_not_load_matplotlib_or_scipy_stats():
    # A check of modules, not a timing: matplotlib and scipy.stats cost most of a second each, which
    # ``crimestats status`` and a refresh that finds nothing new would pay for nothing.
    code = (
        "import crimestats, crimestats.cli, sys; "
        "print(sorted(m for m in ('matplotlib', 'scipy.stats') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


def test_the_lazy_names_still_resolve():
    import crimestats as cs
    from crimestats import snapshot

    assert cs.plotting.A4_TEXT_WIDTH_IN > 0
    assert callable(snapshot.draw_figures)
