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
}


def build_offences(shared: Path) -> pd.DataFrame:
    source = shared / "home-office" / "prc-pfa-mar2013-onwards-tables201718.csv"
    table = pd.read_csv(source, dtype=str)
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


if __name__ == "__main__":
    main()
