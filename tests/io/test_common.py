import io

import pytest

from crimestats.exceptions import SourceFormatError
from crimestats.io._common import match_columns, progress_bar


class FakeTerminal(io.StringIO):
    def __init__(self, tty: bool) -> None:
        super().__init__()
        self.tty = tty

    def isatty(self) -> bool:
        return self.tty


@pytest.mark.parametrize(("enabled", "tty", "drawn"), [(True, True, True), (True, False, False), (False, True, False)])
def test_progress_bar_only_on_a_terminal_when_asked(monkeypatch, enabled, tty, drawn):
    terminal = FakeTerminal(tty)
    monkeypatch.setattr("sys.stderr", terminal)
    assert list(progress_bar([1, 2, 3], enabled, "files")) == [1, 2, 3]
    assert ("files: [" in terminal.getvalue()) is drawn
    if drawn:
        assert terminal.getvalue().rstrip().endswith("3/3")


def test_match_columns_finds_any_known_name_and_lists_all_missing():
    found = match_columns(
        ["Police Force", "Offence Count"],
        {"force": ("Force Name", "Police Force"), "count": ("Number of Offences", "Offence Count")},
        path="t.csv",
    )
    assert found == {"Police Force": "force", "Offence Count": "count"}
    with pytest.raises(SourceFormatError, match=r"t\.csv: missing or renamed columns: a .*; b "):
        match_columns(["x"], {"a": ("A",), "b": ("B",)}, path="t.csv")
