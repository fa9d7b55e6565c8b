"""Records (one row per crime or ASB incident) of a street file, from the Arrow blocks it was read in.

The columns are :data:`RECORD_COLUMNS`; the text columns stay Arrow-backed pandas strings, so a
national year of records goes to Parquet without a detour through Python objects.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from ..taxonomy import UNCLASSIFIED, category_of_crime_type, is_crime
from .street_chunks import StreetTally
from .street_places import Places

RECORD_COLUMNS = [
    "crime_id",
    "period_start",
    "force",
    "lsoa_code",
    "lsoa_name",
    "area_code",
    "area_name",
    "category",
    "is_crime",
    "outcome",
    "location",
    "longitude",
    "latitude",
    "context",
]
#: Record column <- street file column, for the text columns kept as written (stripped; blank -> missing).
_TEXT = {
    "crime_id": "Crime ID",
    "lsoa_code": "LSOA code",
    "lsoa_name": "LSOA name",
    "outcome": "Last outcome category",
    "location": "Location",
    "context": "Context",
}


def _text(table: pa.Table, column: str) -> pd.Series:
    if column not in table.column_names:
        return pd.Series(pd.NA, index=range(table.num_rows), dtype="string")
    values = pc.utf8_trim_whitespace(pc.cast(table.column(column), pa.string()))
    values = pc.if_else(pc.equal(values, ""), pa.scalar(None, pa.string()), values)
    return pd.Series(values.to_pandas(types_mapper={pa.string(): pd.StringDtype()}.get), dtype="string")


def _number(table: pa.Table, column: str) -> np.ndarray:
    if column not in table.column_names:
        return np.full(table.num_rows, np.nan)
    values = table.column(column)
    if not pa.types.is_floating(values.type):  # read as text: a non-numeric value (reported) is NaN
        text = pd.Series(pc.utf8_trim_whitespace(values).to_numpy(zero_copy_only=False), dtype=object)
        return pd.to_numeric(text.replace("", np.nan), errors="coerce").to_numpy(dtype="float64")
    return values.to_numpy().astype("float64")


def street_records(tally: StreetTally, places: Places) -> pd.DataFrame:
    """One row per record of the file's kept rows, in :data:`RECORD_COLUMNS`."""
    if not tally.records:
        empty = {c: pd.Series(dtype="string") for c in RECORD_COLUMNS}
        empty.update(
            period_start=pd.Series(dtype="datetime64[ns]"),
            is_crime=pd.Series(dtype=bool),
            longitude=pd.Series(dtype="float64"),
            latitude=pd.Series(dtype="float64"),
        )
        return pd.DataFrame(empty)[RECORD_COLUMNS]
    table = pa.concat_tables(tally.records, promote_options="permissive")
    frame = pd.DataFrame({name: _text(table, column) for name, column in _TEXT.items()})
    if tally.lsoa_code_ids is None:  # the pre-2013 layout: no LSOA columns
        frame["lsoa_code"] = frame["lsoa_name"] = pd.Series(pd.NA, index=frame.index, dtype="string")
    frame["period_start"] = table.column("period_start").to_numpy().astype("datetime64[ns]")
    frame["force"] = pd.Series(table.column("force").to_pandas(), dtype="string")
    names = np.array([(None, None), *places.areas], dtype=object).reshape(-1, 2)
    area = table.column("area").to_numpy() + 1
    frame["area_code"] = pd.Series(names[area, 0], dtype="string")
    frame["area_name"] = pd.Series(names[area, 1], dtype="string")
    types = pd.Series(pc.cast(table.column("Crime type"), pa.string()).to_numpy(zero_copy_only=False), dtype="string")
    frame["category"] = category_of_crime_type(types).fillna(UNCLASSIFIED)
    frame["is_crime"] = is_crime(frame["category"])
    frame["longitude"] = _number(table, "Longitude")
    frame["latitude"] = _number(table, "Latitude")
    return frame[RECORD_COLUMNS]
