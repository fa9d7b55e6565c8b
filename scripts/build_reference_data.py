"""Build crimestats' package reference data from the public ONS and Home Office files.

Run from the repository root with the shared data beside the checkout::

    python scripts/build_reference_data.py            # reads ../shared/data/real
    python scripts/build_reference_data.py --shared PATH

It writes the small derived tables under ``src/crimestats/data/``; they are committed so that
the package works without the shared folder. Every input is Open Government Licence v3.0 data
(see ``src/crimestats/data/README.md`` for provenance).
"""

from __future__ import annotations

import argparse
import json
import re
from pathlib import Path

import openpyxl
import pandas as pd

from crimestats.areas import FRAUD_BODY, NATIONAL, OUTSIDE_ENGLAND_AND_WALES, TERRITORIAL
from crimestats.taxonomy import FRAUD, p1_lines

OUT = Path(__file__).resolve().parents[1] / "src" / "crimestats" / "data"

# Home Office offence subgroup -> harmonised (data.police.uk level) category, documented in
# docs/taxonomy.md and applied once, at build time. The ONS P1 leaf lines (data/ons_lines.csv)
# name most subgroups with their category; these are the subgroups P1 folds into a line without
# naming them.
UNNAMED_SUBGROUP_CATEGORY = {
    "Rape offences": "Violence and sexual offences",
    "Other sexual offences": "Violence and sexual offences",
    "Robbery of business property": "Robbery",
    "Robbery of personal property": "Robbery",
    "Theft of a motor vehicle": "Vehicle crime",
    "Theft from a vehicle": "Vehicle crime",
    "Vehicle interference": "Vehicle crime",
    "Arson": "Criminal damage and arson",
    "Criminal damage": "Criminal damage and arson",
    "Possession of drugs": "Drugs",
    "Trafficking of drugs": "Drugs",
}
SUBGROUP_CATEGORY = {
    line.offence_subgroup: line.category for line in p1_lines() if line.leaf and line.offence_subgroup
} | UNNAMED_SUBGROUP_CATEGORY

# Names under which forces appear in sources, beyond what areas.normalise_force_name() already
# strips ("... Police", "... Constabulary", "&" for "and").
FORCE_ALIASES = {
    "London, City of": ["City of London", "City of London Police"],
    "Metropolitan Police": ["Metropolitan Police Service", "Metropolitan", "MPS"],
    "Devon and Cornwall": ["Devon & Cornwall"],
    "British Transport Police": ["BTP"],
    "Northern Ireland": ["Police Service of Northern Ireland", "PSNI"],
    "Greater Manchester": ["Greater Manchester Police", "GMP"],
    "Financial Fraud Action UK": ["FFA UK"],
}

FRAUD_BODIES = ["Action Fraud", "CIFAS", "UK Finance", "Financial Fraud Action UK"]

# Area names used in reports and sources for the canonical (ONS) CSP name.
AREA_ALIASES = {
    "Wolverhampton": ["City of Wolverhampton", "Wolverhampton City"],
    "Bristol, City of": ["City of Bristol", "Bristol"],
    "Kingston upon Hull, City of": ["City of Kingston upon Hull", "Hull", "Kingston upon Hull"],
    "Herefordshire, County of": ["County of Herefordshire", "Herefordshire"],
    "St. Helens": ["St Helens"],
    "St Albans": ["St. Albans"],
    "St Edmundsbury": ["St. Edmundsbury"],
    # Councils formed since 2019 (CSPs of the 2022 and 2024 boundary vintages).
    "Bournemouth, Christchurch and Poole": ["BCP", "Bournemouth Christchurch and Poole"],
    "North Northamptonshire": ["North Northants"],
    "West Northamptonshire": ["West Northants"],
}


#: Home Office table editions the offence codes are taken from, oldest first: a code keeps the
#: description of the first edition that has it. 2019/20 split the combined homicide code
#: (1/4.1/4.10/4.2) into its four codes and added rape by multiple undefined offenders (19J, 19K).
OFFENCE_EDITIONS = ("prc-pfa-mar2013-onwards-tables201718.csv", "prc-pfa-mar2013-onwards-tables-2019-20-sheet.csv")


def build_offences(shared: Path) -> pd.DataFrame:
    tables = [pd.read_csv(shared / "home-office" / name, dtype=str, encoding="utf-8-sig") for name in OFFENCE_EDITIONS]
    table = pd.concat(tables, ignore_index=True)
    for column in ("Offence Code", "Offence Description", "Offence Subgroup", "Offence Group"):
        table[column] = table[column].str.strip()
    offences = (
        table[["Offence Code", "Offence Description", "Offence Subgroup", "Offence Group"]]
        .drop_duplicates("Offence Code")
        .rename(
            columns={
                "Offence Code": "offence_code",
                "Offence Description": "offence_description",
                "Offence Subgroup": "offence_subgroup",
                "Offence Group": "offence_group",
            }
        )
    )
    fraud = offences["offence_group"].eq("Fraud offences")
    offences["category"] = offences["offence_subgroup"].map(SUBGROUP_CATEGORY)
    offences.loc[fraud, "category"] = FRAUD
    missing = offences[offences["category"].isna()]
    if not missing.empty:
        raise SystemExit(f"subgroups with no category: {sorted(missing['offence_subgroup'].unique())}")
    return offences.sort_values(["offence_group", "offence_subgroup", "offence_code"])


def strip_footnote(label: object) -> str:
    return re.sub(r"[\d,]+$", "", str(label)).strip()


def build_forces(shared: Path, lad: pd.DataFrame) -> pd.DataFrame:
    """Forces with codes and regions, read from the ordering of ONS table P1."""
    workbook = openpyxl.load_workbook(
        shared / "ons" / "policeforceareatablesyearendingmarch2018v2.xlsx", read_only=True
    )
    rows = []
    region_code = region = None
    for code, name, *_ in workbook["Table P1"].iter_rows(min_row=7, values_only=True):
        if name is None:
            continue
        name = strip_footnote(name)
        if code and (code.startswith("E12") or code.startswith("W92")):
            region_code, region = code, ("Wales" if code.startswith("W92") else name.title())
            region = region.replace(" And The ", " and The ")
        elif code and (code.startswith("E23") or code.startswith("W15")):
            rows.append((name, code, region_code, region, TERRITORIAL))
        elif name == "British Transport Police":
            rows.append((name, None, None, None, NATIONAL))
    rows.append(("Northern Ireland", None, None, None, OUTSIDE_ENGLAND_AND_WALES))
    rows += [(body, None, None, None, FRAUD_BODY) for body in FRAUD_BODIES]
    forces = pd.DataFrame(rows, columns=["force", "pfa_code", "region_code", "region", "kind"])
    # The 2016 LAD->CSP->PFA lookup must agree with P1 on every force code.
    lookup_codes = set(lad["pfa_code"])
    table_codes = set(forces["pfa_code"].dropna())
    if lookup_codes != table_codes:
        raise SystemExit(f"force codes differ: {lookup_codes ^ table_codes}")
    forces["aliases"] = forces["force"].map(lambda f: ";".join(FORCE_ALIASES.get(f, [])))
    return forces


def build_lads(shared: Path) -> pd.DataFrame:
    lookups = shared / "lookups"
    path = next(lookups.glob("Local_Authority_District_to_Community_Safety_Partnerships*2016*.geojson"))
    features = json.loads(path.read_text(encoding="utf-8"))["features"]
    lad16 = pd.DataFrame([f["properties"] for f in features]).rename(
        columns={
            "LAD16CD": "lad_code",
            "LAD16NM": "lad_name",
            "CSP16CD": "csp_code",
            "CSP16NM": "csp_name",
            "PFA16CD": "pfa_code",
        }
    )
    lad16["vintage"] = "2016-12"
    lad19 = pd.read_csv(lookups / "lad_to_csp_2019.csv", sep=";").rename(
        columns={
            "lad-code": "lad_code",
            "lad-name": "lad_name",
            "csp-code": "csp_code",
            "csp-name": "csp_name",
            "PFA21CD": "pfa_code",
        }
    )
    lad19["vintage"] = "2019"
    columns = ["lad_code", "lad_name", "csp_code", "csp_name", "pfa_code", "vintage"]
    return pd.concat([lad16[columns], lad19[columns]], ignore_index=True)


def build_lsoa(shared: Path) -> pd.DataFrame:
    path = shared / "lookups" / "Lower_Layer_Super_Output_Area_2011_to_Ward_2018_Lookup_in_England_and_Wales_v3.csv"
    table = pd.read_csv(path, dtype=str, encoding="utf-8-sig")
    return table.rename(
        columns={
            "LSOA11CD": "lsoa_code",
            "LSOA11NM": "lsoa_name",
            "WD18CD": "ward_code",
            "WD18NM": "ward_name",
            "LAD18CD": "lad_code",
        }
    )[["lsoa_code", "lsoa_name", "ward_code", "ward_name", "lad_code"]].sort_values("lsoa_code")


def build_population(shared: Path, lads: pd.DataFrame) -> pd.DataFrame:
    path = shared / "ons" / "ons-mid-year-population-by-area-2011-2023.csv"
    table = pd.read_csv(path, encoding="utf-8-sig")
    table = table.loc[:, ~table.columns.str.startswith("Unnamed")]
    long = table.melt(id_vars=["Name", "PFA", "Geography"], var_name="year", value_name="population")
    long["year"] = long["year"].str.removeprefix("Mid-").astype(int)
    long["population"] = long["population"].round().astype("int64")
    long = long.rename(columns={"Name": "area_name", "Geography": "geography"}).drop(columns="PFA")
    codes = lads.drop_duplicates("lad_name", keep="last").set_index("lad_name")["lad_code"]
    long["lad_code"] = long["area_name"].map(codes)
    return long[["area_name", "lad_code", "geography", "year", "population"]]


# --- Boundary vintages (issue 11) -----------------------------------------------------------------
# The building block shared by every vintage is the "district": the local authority of 2016-2018
# (the 2011 LSOA lookup's LAD18, identical to LAD16). Every CSP of every vintage is a union of
# districts, and the councils formed 2019-2023 are unions of whole districts.

LOOKUPS_2021 = {
    "lsoa21_lad23": "Lower_Layer_Super_Output_Area_(2021)_to_LAD_(April_2023)_Lookup_in_England_and_Wales.csv",
    "lsoa21_lad22": "Lower_Layer_Super_Output_Area_(2021)_to_Ward_(2022)_to_LAD_(2022)"
    "_Lookup_in_England_and_Wales_v3.csv",
    "best_fit": "LSOA_(2011)_to_LSOA_(2021)_to_Local_Authority_District_(2022)_Lookup_for_England_and_Wales.csv",
    "exact_fit": "lookup_lsoa11_lsoa21_ltla22.csv",
    "lsoa21_lad24": "lookup_lsoa21_ward24_ltla24.csv",
    "csp18": "Local_Authority_District_to_Community_Safety_Partnerships_to_Police_Force_Areas_(December_2018)"
    "_Lookup_in_England_and_Wales.csv",
    "csp19": "Local_Authority_District_to_Community_Safety_Partnerships_to_Police_Force_Areas_(December_2019)"
    "_Lookup_in_England_and_Wales.csv",
    "csp24": "lookup_ltla24_csp24_pfa24.csv",
}
CSP_TABLE_2022 = "recorded-crime-by-csp-year-ending-december-2022.xlsx"
LAD_COLUMNS = ["lad_code", "lad_name", "csp_code", "csp_name", "pfa_code"]
# Years whose local authorities the population tables use, beside the districts themselves.
LAD_YEARS = ("2019", "2020", "2022", "2023", "2024")
MYE4_LAD_GEOGRAPHIES = {"Non-metropolitan District", "Unitary Authority", "Metropolitan District", "London Borough"}


def _lookup_csv(shared: Path, key: str) -> pd.DataFrame:
    return pd.read_csv(shared / "lookups" / LOOKUPS_2021[key], dtype=str, encoding="utf-8-sig")


def build_lsoa_changes(shared: Path) -> pd.DataFrame:
    """2011 -> 2021 LSOA pairs of the exact-fit lookup (change U/S/M/X), the official best fit flagged."""
    exact = _lookup_csv(shared, "exact_fit").rename(columns={"change_code": "change"})
    exact = exact[["lsoa11_code", "lsoa21_code", "change"]].drop_duplicates()
    best = _lookup_csv(shared, "best_fit")
    pairs = set(zip(best["LSOA11CD"], best["LSOA21CD"], strict=True))
    exact["best_fit"] = [pair in pairs for pair in zip(exact["lsoa11_code"], exact["lsoa21_code"], strict=True)]
    per_lsoa11 = exact.groupby("lsoa11_code")["best_fit"].sum()
    if not (per_lsoa11 == 1).all() or len(per_lsoa11) != len(best):
        raise SystemExit("the best-fit pairs are not one per 2011 LSOA within the exact-fit lookup")
    exact["change"] = exact["change"].astype("category")
    return exact.sort_values(["lsoa11_code", "lsoa21_code"]).reset_index(drop=True)


def _best_share(pairs: pd.DataFrame, key: str, value: str) -> pd.Series:
    """For each ``key``, the ``value`` it shares most rows with (ties to the lowest code)."""
    share = pairs.groupby([key, value]).size().rename("n").reset_index()
    share = share.sort_values([key, "n", value], ascending=[True, False, True])
    return share.drop_duplicates(key).set_index(key)[value]


def build_lsoa21(shared: Path, lsoa11: pd.DataFrame, changes: pd.DataFrame) -> pd.DataFrame:
    """2021 LSOAs: name, local authority of 2022/2023/2024 and best-fit district (LAD18)."""
    table = _lookup_csv(shared, "lsoa21_lad23").rename(
        columns={"LSOA21CD": "lsoa21_code", "LSOA21NM": "lsoa21_name", "LAD23CD": "lad23_code"}
    )[["lsoa21_code", "lsoa21_name", "lad23_code"]]
    table["lad22_code"] = table["lsoa21_code"].map(_lookup_csv(shared, "lsoa21_lad22").set_index("LSOA21CD")["LAD22CD"])
    table["lad24_code"] = table["lsoa21_code"].map(
        _lookup_csv(shared, "lsoa21_lad24").set_index("lsoa21_code")["ltla24_code"]
    )
    # The district of the 2011 LSOA(s) it came from; for a merge across districts (rare), the
    # district holding most of them.
    pairs = changes.merge(lsoa11[["lsoa_code", "lad_code"]], left_on="lsoa11_code", right_on="lsoa_code")
    table["district_code"] = table["lsoa21_code"].map(_best_share(pairs, "lsoa21_code", "lad_code"))
    if table.isna().any().any():
        raise SystemExit("2021 LSOAs missing from a lookup")
    return table.sort_values("lsoa21_code").reset_index(drop=True)


def build_districts(
    lad16: pd.DataFrame, lsoa11: pd.DataFrame, lsoa21: pd.DataFrame, changes: pd.DataFrame, lad19_codes: set[str]
) -> pd.DataFrame:
    """District (LAD16/LAD18) -> the council of 2019, 2020, 2022, 2023 and 2024 holding it."""
    districts = lad16[["lad_code", "lad_name"]].rename(
        columns={"lad_code": "district_code", "lad_name": "district_name"}
    )
    best = changes[changes["best_fit"]].merge(lsoa21, on="lsoa21_code")
    best = best.merge(lsoa11[["lsoa_code", "lad_code"]], left_on="lsoa11_code", right_on="lsoa_code")
    for year in ("2022", "2023", "2024"):
        districts[f"lad{year[2:]}_code"] = districts["district_code"].map(
            _best_share(best, "lad_code", f"lad{year[2:]}_code")
        )
    # 2019 councils are the districts themselves or the councils formed in April 2019 (in the
    # 2022 set); 2020 adds Buckinghamshire (April 2020).
    districts["lad19_code"] = districts["district_code"].where(
        districts["district_code"].isin(lad19_codes), districts["lad22_code"]
    )
    lad20 = (lad19_codes - {"E07000004", "E07000005", "E07000006", "E07000007"}) | {"E06000060"}
    districts["lad20_code"] = districts["lad19_code"].where(
        districts["lad19_code"].isin(lad20), districts["lad22_code"]
    )
    if districts.isna().any().any():
        raise SystemExit("districts with no later council")
    # Councils formed by mergers must be unions of whole districts: each district lies in one.
    return districts[["district_code", "district_name", *(f"lad{y[2:]}_code" for y in LAD_YEARS)]]


def _ons_csp_2022(shared: Path, earlier: pd.DataFrame) -> pd.DataFrame:
    """LAD 2022 -> CSP -> PFA from the ONS CSP table C2 (C1 for CSPs of combined authorities)."""
    workbook = openpyxl.load_workbook(shared / "ons" / CSP_TABLE_2022, read_only=True)
    combined: dict[str, list[str]] = {}
    csp = None
    for _force, name, code, _name in workbook["Table C1"].iter_rows(min_row=5, max_col=4, values_only=True):
        csp = name.strip() if name else csp
        if code:
            combined.setdefault(csp, []).append(code.strip())
    rows = []
    for pfa_code, _pfa, csp_code, csp_name, lad_code, _lad in workbook["Table C2"].iter_rows(
        min_row=9, max_col=6, values_only=True
    ):
        if csp_code is None:  # force totals, "Unassigned <force>", Manchester Airport
            continue
        csp_name = str(csp_name).strip()
        lads = combined[csp_name] if str(lad_code).startswith("Combined") else [str(lad_code).strip()]
        rows += [(lad, str(csp_code).strip(), csp_name, pfa_code.strip()) for lad in lads]
    table = pd.DataFrame(rows, columns=["lad_code", "csp_code", "csp_name", "pfa_code"])
    # A CSP code must be a real code not held by a differently named CSP before: "combined",
    # and the Corby and Stroud codes printed against North and West Northamptonshire, are not.
    # Such a CSP is one council and is coded by the council's code (data/README.md).
    earlier_names = earlier.drop_duplicates("csp_code").set_index("csp_code")["csp_name"]
    valid = table["csp_code"].str.match(r"^[EW]\d{8}$") & pd.Series(
        [earlier_names.get(c, n) == n for c, n in zip(table["csp_code"], table["csp_name"], strict=True)],
        index=table.index,
    )
    if table.loc[~valid, "csp_name"].duplicated().any():
        raise SystemExit("2022: a CSP without a valid code spans several councils")
    table.loc[~valid, "csp_code"] = table.loc[~valid, "lad_code"]
    return table


def build_csp_vintages(shared: Path, lad16: pd.DataFrame, districts: pd.DataFrame) -> pd.DataFrame:
    """District -> council -> CSP -> PFA for each reporting vintage (2016, 2018, 2019, 2022, 2024)."""
    rename = {
        f"{k}{y}{s}": v
        for y in ("18", "19")
        for k, s, v in (
            ("LAD", "CD", "lad_code"),
            ("LAD", "NM", "lad_name"),
            ("CSP", "CD", "csp_code"),
            ("CSP", "NM", "csp_name"),
            ("PFA", "CD", "pfa_code"),
        )
    }
    csp16 = lad16[LAD_COLUMNS]
    csp18 = _lookup_csv(shared, "csp18").rename(columns=rename)[LAD_COLUMNS]
    csp19 = _lookup_csv(shared, "csp19").rename(columns=rename)[LAD_COLUMNS]
    csp22 = _ons_csp_2022(shared, pd.concat([csp16, csp18, csp19]))
    csp24 = _lookup_csv(shared, "csp24").rename(
        columns=lambda c: c.replace("ltla24", "lad").replace("csp24", "csp").replace("pfa24", "pfa")
    )[LAD_COLUMNS]
    # The derived 2024 lookup lists, for a council formed by a merger, its predecessors' CSPs; a
    # council has one CSP, named after it, coded as in 2022 or by the council's code when new.
    spans = csp24["lad_code"].duplicated(keep=False)
    merged = csp24[spans].drop_duplicates("lad_code").assign(csp_name=lambda t: t["lad_name"])
    code22 = csp22.drop_duplicates("csp_name").set_index("csp_name")["csp_code"]
    merged["csp_code"] = merged["csp_name"].map(code22).fillna(merged["lad_code"])
    csp24 = pd.concat([csp24[~spans], merged], ignore_index=True)

    names = pd.concat([csp24, csp19, csp16]).drop_duplicates("lad_code").set_index("lad_code")["lad_name"]
    previous = csp18.set_index("lad_code")["csp_code"]
    out = []
    for vintage, table, column in (
        ("2016", csp16, "district_code"),
        ("2018", csp18, "district_code"),
        ("2019", csp19, "lad19_code"),
        ("2022", csp22, "lad22_code"),
        ("2024", csp24, "lad24_code"),
    ):
        rows = districts[["district_code", "district_name"]].assign(lad_code=districts[column])
        rows = rows.merge(table.drop(columns="lad_name", errors="ignore"), on="lad_code", how="left")
        # A council spanning several CSPs of the vintage (Bournemouth, Christchurch and Poole in
        # December 2019): each district keeps the CSP it belonged to in 2018.
        several = rows["district_code"].duplicated(keep=False)
        rows = rows[~several | (rows["csp_code"] == rows["district_code"].map(previous))]
        if len(rows) != len(districts) or rows["csp_code"].isna().any():
            raise SystemExit(f"{vintage}: districts without exactly one CSP")
        out.append(rows.assign(vintage=vintage, lad_name=rows["lad_code"].map(names)))
    table = pd.concat(out, ignore_index=True)
    return table[
        ["vintage", "district_code", "district_name", "lad_code", "lad_name", "csp_code", "csp_name", "pfa_code"]
    ]


def build_lsoa_csp(lsoa21: pd.DataFrame, csp_vintages: pd.DataFrame) -> pd.DataFrame:
    """2021 LSOA -> CSP code of each vintage.

    From 2022 on, CSPs are unions of the councils the 2021 LSOAs nest in, so the LSOA's own council
    decides (exact); for 2016-2019 its best-fit district does.
    """
    out = lsoa21[["lsoa21_code"]].copy()
    for vintage, group in csp_vintages.groupby("vintage"):
        if vintage >= "2022":
            by_lad = group.drop_duplicates("lad_code").set_index("lad_code")["csp_code"]
            out[f"csp_{vintage}"] = lsoa21[f"lad{vintage[2:]}_code"].map(by_lad)
        else:
            out[f"csp_{vintage}"] = lsoa21["district_code"].map(group.set_index("district_code")["csp_code"])
    if out.isna().any().any():
        raise SystemExit(f"2021 LSOAs with no CSP: {out[out.isna().any(axis=1)].head()}")
    return out


def build_population_by_year(shared: Path) -> pd.DataFrame:
    """Mid-year estimates by council: mid-2011..mid-2022 on 2023 boundaries (MYE4), mid-2019 and
    mid-2020 on their own year's boundaries."""
    workbook = openpyxl.load_workbook(
        shared / "population" / "ons_mid2022_population_estimates_lad.xlsx", read_only=True
    )
    rows = list(workbook["MYE4"].iter_rows(min_row=8, values_only=True))
    header = [str(h) for h in rows[0] if h is not None]
    mye4 = pd.DataFrame([r[: len(header)] for r in rows[1:] if r[0]], columns=header)
    mye4 = mye4[mye4["Geography"].isin(MYE4_LAD_GEOGRAPHIES)]
    long = mye4.melt(id_vars=["Code", "Name", "Geography"], var_name="year", value_name="population")
    long = long.rename(columns={"Code": "lad_code", "Name": "lad_name"}).assign(boundaries="2023")
    long["year"] = long["year"].str.removeprefix("Mid-").astype(int)
    parts = [long[["lad_code", "lad_name", "year", "boundaries", "population"]]]
    for year in (2019, 2020):
        own = pd.read_csv(
            shared / "population" / f"demographr_population{year % 100}_ltla{year % 100}.csv", usecols=[0, 1, 2]
        )
        own.columns = ["lad_code", "lad_name", "population"]
        parts.append(own.assign(year=year, boundaries=str(year))[parts[0].columns])
    table = pd.concat(parts, ignore_index=True)
    table["population"] = table["population"].round().astype("int64")
    return table.sort_values(["boundaries", "year", "lad_code"]).reset_index(drop=True)


def build_boundaries(shared: Path, lads: pd.DataFrame, forces: pd.DataFrame) -> None:
    """Write the boundary-vintage tables (issue 11)."""
    lsoa11 = build_lsoa(shared)
    changes = build_lsoa_changes(shared)
    lsoa21 = build_lsoa21(shared, lsoa11, changes)
    lad16 = lads[lads["vintage"] == "2016-12"]
    lad19_codes = set(_lookup_csv(shared, "csp19")["LAD19CD"])
    districts = build_districts(lad16, lsoa11, lsoa21, changes, lad19_codes)
    csp_vintages = build_csp_vintages(shared, lad16, districts)
    csp_vintages["force"] = csp_vintages["pfa_code"].map(
        forces.dropna(subset=["pfa_code"]).set_index("pfa_code")["force"]
    )
    if csp_vintages["force"].isna().any():
        raise SystemExit("CSPs whose police force area code is not in forces.csv")
    lsoa_csp = build_lsoa_csp(lsoa21, csp_vintages)
    lsoa21 = lsoa21[["lsoa21_code", "lad24_code", "district_code"]].merge(lsoa_csp, on="lsoa21_code")
    write = {
        "lsoa21_lookup": lsoa21,
        "lsoa_changes": changes,
        "districts": districts,
        "csp_vintages": csp_vintages,
        "population_by_year": build_population_by_year(shared),
    }
    for name, table in write.items():
        table.to_parquet(OUT / f"{name}.parquet", index=False, compression="zstd")


# The ONS severity file writes homicide as one row "1, 4.1/2/10"; the Home Office tables write it
# as "1/4.1/4.10/4.2" (2017/18) or as separate codes. Every spelling gets the homicide weight.
HOMICIDE_SEVERITY_CODE = "1, 4.1/2/10"
HOMICIDE_CODES = ["1", "4.1", "4.2", "4.10", "1/4.1/4.10/4.2"]


def build_severity_weights(shared: Path) -> pd.DataFrame:
    """ONS Crime Severity Score weights, one row per Home Office offence code spelling.

    The source has one row per offence *description* with ``code_severity`` (the code ONS weights
    under) and ``code_original`` (the Home Office code); burglary "outcome only" codes 28A/30A
    take the weights of 28C/30C, and homicide's row covers every homicide code.
    """
    table = pd.read_csv(shared / "css" / "crime-severity-weights-by-offence-code.csv", dtype=str)
    table["weight"] = table["weight"].astype(float)
    rows = []
    for row in table.itertuples():
        codes = HOMICIDE_CODES if row.code_severity == HOMICIDE_SEVERITY_CODE else [row.code_original]
        rows += [(code, row.code_severity, row.offence, row.weight) for code in codes]
    weights = pd.DataFrame(rows, columns=["offence_code", "ons_code", "ons_offence", "weight"])
    weights = weights.drop_duplicates("offence_code")
    clashes = table.groupby("code_original")["weight"].nunique()
    if (clashes > 1).any():
        raise SystemExit(f"codes with two weights: {sorted(clashes[clashes > 1].index)}")
    return weights.sort_values("offence_code").reset_index(drop=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--shared", type=Path, default=Path("../shared/data/real"))
    args = parser.parse_args()
    OUT.mkdir(parents=True, exist_ok=True)

    lads = build_lads(args.shared)
    forces = build_forces(args.shared, lads)
    code_to_force = forces.dropna(subset=["pfa_code"]).set_index("pfa_code")["force"]
    lads["force"] = lads["pfa_code"].map(code_to_force)
    lads = lads.merge(forces[["force", "region"]], on="force", how="left")
    lads.to_csv(OUT / "areas.csv", index=False)
    forces.to_csv(OUT / "forces.csv", index=False)
    aliases = [(alias, name) for name, names in AREA_ALIASES.items() for alias in names]
    pd.DataFrame(aliases, columns=["alias", "area_name"]).to_csv(OUT / "area_aliases.csv", index=False)
    build_offences(args.shared).to_csv(OUT / "offences.csv", index=False)
    build_population(args.shared, lads).to_csv(OUT / "population.csv", index=False)
    build_severity_weights(args.shared).to_csv(OUT / "severity_weights.csv", index=False)
    build_lsoa(args.shared).to_parquet(OUT / "lsoa_lookup.parquet", index=False, compression="zstd")
    build_boundaries(args.shared, lads, forces)


if __name__ == "__main__":
    main()
