"""Tell which reader a source file needs, so commands can take any supported file."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import pandas as pd

from ..exceptions import SourceFormatError
from .extract import read_extract
from .home_office import read_home_office
from .ons import read_ons_pfa
from .police_uk import read_police_uk


def source_type(path: str | Path, *, mapping: object = None) -> str:
    """Which source a path holds: "police.uk", "home-office", "ons" or "extract".

    Folders and zips are data.police.uk downloads; a CSV is told by its header; an xlsx with an
    ONS "Table P1" sheet is the ONS tables; any file read with a mapping is an extract.
    """
    path = Path(path)
    if not path.exists():
        raise SourceFormatError(path, "does not exist")
    if mapping is not None:
        return "extract"
    if path.is_dir() or path.suffix.lower() == ".zip" or path.name.lower().endswith("-street.csv"):
        return "police.uk"
    suffix = path.suffix.lower()
    if suffix in (".xlsx", ".xlsm"):
        sheets = pd.ExcelFile(path, engine="openpyxl").sheet_names
        return "ons" if any(s.strip().lower() == "table p1" for s in sheets) else "home-office"
    if suffix == ".ods":
        return "home-office"
    if suffix in (".csv", ".gz"):
        try:
            header = [c.strip().lower() for c in pd.read_csv(path, nrows=0, encoding="utf-8-sig").columns]
        except (pd.errors.EmptyDataError, pd.errors.ParserError, UnicodeDecodeError, EOFError) as error:
            raise SourceFormatError(path, f"cannot read a header: {error}") from error
        if "crime type" in header and "falls within" in header:
            return "police.uk"
        if "offence code" in header:
            return "home-office"
        raise SourceFormatError(
            path, "not a known layout (police.uk street file or Home Office table); for a force extract give a mapping"
        )
    raise SourceFormatError(path, f"unsupported file type {suffix!r}")


def read_source(
    path: str | Path, *, mapping: str | Path | Mapping[str, Any] | None = None, **options: Any
) -> pd.DataFrame:
    """Read any supported source into canonical counts with the reader its type needs."""
    kind = source_type(path, mapping=mapping)
    readers: dict[str, Callable[..., pd.DataFrame]] = {
        "police.uk": lambda: read_police_uk(path, **options),
        "home-office": lambda: read_home_office(path),
        "ons": lambda: read_ons_pfa(path, options.get("table", "P1")),
        "extract": lambda: read_extract(path, mapping),  # type: ignore[arg-type]
    }
    return readers[kind]()
