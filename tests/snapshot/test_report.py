import pandas as pd
from matplotlib.figure import Figure

from crimestats.snapshot import Snapshot


def _snapshot():
    figure = Figure()
    figure.add_subplot().set_title("A chart & its title", loc="left")
    findings = pd.DataFrame({"finding": ["change"], "current": [5], "sentence": [1]})
    return Snapshot(
        area="Dudley",
        year="2017/18",
        peers="West Midlands",
        bullets=["Crime <fell>."],
        findings=findings,
        figures={"chart": figure},
    )


def test_markdown_links_each_chart_under_its_title():
    assert _snapshot().to_markdown(image_format="svg") == (
        "# Performance snapshot: Dudley, 2017/18\n\n- Crime <fell>.\n\n![A chart & its title](chart.svg)\n"
    )


def test_html_escapes_text_and_embeds_charts():
    page = _snapshot().to_html(dpi=30)
    assert "<li>Crime &lt;fell&gt;.</li>" in page
    assert page.count('<img src="data:image/png;base64,') == 1
    assert 'alt="A chart &amp; its title"' in page


def test_save_writes_charts_findings_markdown_and_html(tmp_path):
    written = _snapshot().save(tmp_path, formats=("png",), dpi=30)
    assert sorted(p.name for p in written) == ["chart.png", "findings.csv", "snapshot.html", "snapshot.md"]
    assert pd.read_csv(tmp_path / "findings.csv").to_dict("list") == {
        "finding": ["change"],
        "current": [5],
        "sentence": [1],
    }
