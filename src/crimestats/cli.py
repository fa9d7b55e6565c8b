"""The ``crimestats`` command.

Exit codes: 0 ok, 1 bad input (a source or store problem), 2 usage error, 3 store locked.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import logging
import os
import sys
import zipfile
import zlib
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

# Only light modules here: each command imports what it uses, so `crimestats status` and a
# refresh that finds nothing new start without pandas, pyarrow or the readers.
from . import datasets, sources
from .exceptions import CrimestatsError, SourceFormatError, StoreLockedError
from .vintages import BOUNDARY_VINTAGES

if TYPE_CHECKING:
    import pandas as pd

EXIT_OK, EXIT_BAD_INPUT, EXIT_USAGE, EXIT_LOCKED = 0, 1, 2, 3

logger = logging.getLogger("crimestats")


def _summary(args: argparse.Namespace) -> int:
    """Load the bundled real tables and print a summary for one police force area."""
    import pandas as pd

    from .areas import force_name
    from .io import read_home_office, read_ons_pfa
    from .metrics import compare_years
    from .selections import select

    force = force_name(args.force)  # an unknown force is an error, never a table of zeros
    ho = read_home_office(datasets.path("home-office-pfa-2017-18"))
    p1 = read_ons_pfa(datasets.path("ons-pfa-2018"), "P1")
    ho_total = select(ho[ho["force"] == force], "total recorded crime")["count"].sum()
    ons_total = select(p1[p1["force"] == force], "total recorded crime")["count"].sum()
    print(f"{force} police force area, total recorded crime 2017/18")
    print(f"  Home Office open data table: {ho_total:,}")
    print(f"  ONS table P1:                {ons_total:,}")
    recon = p1.attrs["reconciliation"]
    print(
        f"  ONS P1 national/regional totals recomputed from forces: "
        f"{(recon['difference'] == 0).sum()} of {len(recon)} cells agree"
    )
    csp = read_home_office(datasets.path("scenario-csp"))
    if force not in set(csp["force"]):
        return EXIT_OK
    table = compare_years(csp, base="2016/17", current="2017/18", within=force)
    print("\nCommunity Safety Partnerships (scenario data), total recorded crime")
    with pd.option_context("display.width", 120):
        shown = table[["area_name", "base", "current", "change", "pct_change", "rank"]].sort_values("rank")
        print(shown.to_string(index=False, float_format=lambda v: f"{v:.1f}"))
    return EXIT_OK


def _plan(paths: Sequence[str], mapping: str | None) -> sources.Plan:
    """Units of the given paths, each failure printed as one line."""
    plan = sources.expand(paths, mapping=mapping)
    for _, error in plan.failed:
        print(f"crimestats: {error}", file=sys.stderr)
    return plan


def _read_units(
    units: Sequence[sources.Unit], mapping: str | None, options: dict | None = None
) -> tuple[pd.DataFrame, list[str]]:
    """Counts of every unit (combined) and the errors of those that failed."""
    from .counts import combine
    from .io.structure import reading

    frames, errors = [], []
    for unit in units:
        try:
            with reading(unit.path):  # an OS, archive or decoding error the reader missed: still one line
                wanted = sources.options_for(unit.source, options or {})
                counts, _ = unit.source.load(unit.path, mapping=mapping, **wanted)
        except CrimestatsError as error:
            print(f"crimestats: {_one_line(error)}", file=sys.stderr)
            errors.append(_one_line(error))
            continue
        frames.append(counts)
    return combine(frames), errors


def _validate(args: argparse.Namespace) -> int:
    """Print the data-quality report of each source without writing anything."""
    from .counts import quality_of
    from .quality import quality_report

    status = EXIT_OK
    reports = []
    for given in args.sources:
        plan = _plan([given], args.mapping)
        options = {"trust_content": True} if args.trust_content else {}
        if args.sheet:
            options["sheet"] = args.sheet
        if args.boundaries:
            options["boundaries"] = args.boundaries
        counts, errors = _read_units(plan.units, args.mapping, options)
        errors = [str(error) for _, error in plan.failed] + errors
        if errors:
            status = EXIT_BAD_INPUT
        report = quality_report(counts)
        if args.json:
            reports.append(
                {
                    "source": given,
                    "errors": errors,
                    "skipped": [{"file": f, "reason": r} for f, r in plan.skipped if r != "not a data file"],
                    "files": [q.to_dict() for q in quality_of(counts)],
                    "coverage": report.coverage.to_dict(orient="records"),
                    "area_coverage": report.area_coverage,
                    "total": int(counts["count"].sum()),
                }
            )
        elif quality_of(counts):
            print(report.to_text())
            for file, reason in plan.skipped:
                if reason.startswith("same content as"):
                    print(f"skipped {file}: {reason}")
            print(f"total count: {int(counts['count'].sum()):,}\n")
    if args.json:
        print(json.dumps(reports, indent=2, default=str))
    return status


def _load_sources(paths: Sequence[str], mapping: str | None, boundaries: str | None = None) -> pd.DataFrame:
    """Counts from stores (folders holding a crimestats manifest) and source files, combined.

    ``boundaries``: the CSP boundary vintage police.uk files are counted on (a store's counts are
    on the boundaries they were stored with, so a store cannot be read on others).
    """
    from .boundaries import BoundaryError
    from .counts import combine
    from .io.structure import reading

    frames = []
    files = []
    for path in paths:
        if Path(path, "manifest.json").exists():
            from .store import Store

            if boundaries is not None:
                raise BoundaryError(
                    f"{path}: --boundaries applies to police.uk files read directly; a store holds its counts "
                    "on the boundaries they were stored with"
                )
            frames.append(Store(path).read())
        else:
            files.append(path)
    if files:
        plan = sources.expand(files, mapping=mapping)
        if plan.failed:
            raise plan.failed[0][1]
        options = {} if boundaries is None else {"boundaries": boundaries}
        for unit in plan.units:
            with reading(unit.path):
                frames.append(
                    unit.source.load(unit.path, mapping=mapping, **sources.options_for(unit.source, options))[0]
                )
    if not frames:
        raise SourceFormatError(None, f"no data found in {', '.join(paths)}")
    return combine(frames)


def _boundaries_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--boundaries",
        choices=BOUNDARY_VINTAGES,
        help="CSP boundaries data.police.uk files are counted on (default: the latest, "
        f"{BOUNDARY_VINTAGES[-1]}); e.g. 2019 for the councils before the 2019-2023 mergers",
    )


def _snapshot(args: argparse.Namespace) -> int:
    """Write the performance snapshot folder and print its sentences."""
    from .snapshot import CHART_FORMATS, DOCUMENT_FORMATS, performance_snapshot

    formats = tuple(f.strip().lower() for f in args.formats.split(",") if f.strip())
    unknown = [f for f in formats if f not in DOCUMENT_FORMATS + CHART_FORMATS]
    if unknown or not formats:
        print(
            f"crimestats snapshot: --formats {args.formats!r}: choose from "
            f"{','.join(DOCUMENT_FORMATS + CHART_FORMATS)}",
            file=sys.stderr,
        )
        return EXIT_USAGE
    if args.demo:
        sources, mapping = [str(datasets.path("scenario-extract"))], str(datasets.path("scenario-extract-mapping"))
        area, year, peers = args.area or "Wolverhampton", args.year or "latest", args.peers or "West Midlands"
        selections = args.selection or ["total recorded crime", "knife or sharp instrument offences"]
    else:
        missing = [
            flag
            for flag, value in (
                ("SOURCE", args.sources),
                ("--area", args.area),
                ("--year", args.year),
                ("--peers", args.peers),
            )
            if not value
        ]
        if missing:
            print(f"crimestats snapshot: missing {', '.join(missing)} (or use --demo)", file=sys.stderr)
            return EXIT_USAGE
        sources, mapping, area, year, peers = args.sources, args.mapping, args.area, args.year, args.peers
        selections = args.selection or ["total recorded crime"]
    # Names first: a typo is reported at once, not after reading every source.
    from .areas import area_name, force_name
    from .snapshot.findings import resolve_peers

    (force_name if args.level == "force" else area_name)(area)
    resolve_peers(peers, level=args.level, peer_groups=args.peers_file)
    counts = _load_sources(sources, mapping, args.boundaries)
    snap = performance_snapshot(
        counts,
        area=area,
        year=year,
        base=args.base,
        peers=peers,
        selections=selections,
        level=args.level,
        peer_groups=args.peers_file,
    )
    written = snap.save(args.out, formats=formats)
    print(snap.title)
    for bullet in snap.bullets:
        print(f"- {bullet}")
    names = {p.name for p in written}
    pages = ("snapshot.html", "snapshot.docx", "snapshot.md")
    opened = next((f"open {n}" for n in pages if n in names), "findings.csv")
    print(f"\n{len(written)} files written to {args.out}/ ({opened})")
    return EXIT_OK


def _refresh(args: argparse.Namespace) -> int:
    """Bring the store up to date with the sources; exit 1 if any source failed."""
    from .store import Store

    progress = not args.quiet and not args.json and sys.stderr.isatty()
    client = None
    if args.scheduler and not args.dry_run:
        from .store.distributed import connect  # dask only when a cluster is asked for

        client = connect(args.scheduler)
    try:
        result = Store(args.store).refresh(
            args.sources,
            mapping=args.mapping,
            strict=args.strict,
            dry_run=args.dry_run,
            records=args.records,
            progress=progress,
            client=client,
        )
    finally:
        if client is not None:
            client.close()
    if args.json:
        print(json.dumps(result.to_dict(), indent=2, default=str))
    else:
        for failure in result.failed:
            print(f"FAILED {failure['error']}", file=sys.stderr)
        print(result.summary())
    return EXIT_OK if result.ok else EXIT_BAD_INPUT


def _status(args: argparse.Namespace) -> int:
    """Print the store's coverage by source and force."""
    from .store import Store
    from .store.status import status_info, status_rows

    if not Path(args.store, "manifest.json").exists():
        print(f"crimestats: {args.store} is not a crimestats store (no manifest.json)", file=sys.stderr)
        return EXIT_BAD_INPUT
    # The rows Store.status() puts in a frame, from the manifest alone: no pandas to import.
    manifest = Store(args.store).manifest()
    info, rows = status_info(manifest), status_rows(manifest)
    if args.json:
        print(json.dumps({**info, "coverage": rows}, indent=2, default=str))
        return EXIT_OK
    print(f"{args.store}: {info['files']} source files, last refresh {info['last_refresh']}")
    for row in rows:
        gaps = f", missing {', '.join(row['missing_months'])}" if row["missing_months"] else ""
        if row["known_gaps"]:
            gaps += f" (known gaps: {'; '.join(sorted(set(row['known_gaps'].values())))})"
        print(
            f"  {row['source']:12} {row['force']:28} {row['first']} to {row['last']} ({row['periods']} periods{gaps})"
        )
    return EXIT_OK


def _compact(args: argparse.Namespace) -> int:
    """Compact the store now (a refresh does it on its own when small files pile up)."""
    from .store import Store

    print(Store(args.store).compact().summary())
    return EXIT_OK


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of the ``crimestats`` command."""
    parser = argparse.ArgumentParser(
        prog="crimestats",
        description="Community-safety performance statistics from police recorded crime data.",
        epilog="Exit codes: 0 ok, 1 bad input, 2 usage error, 3 store locked by another refresh.",
    )
    parser.add_argument("-v", "--verbose", action="store_true", help="log progress at INFO level")
    commands = parser.add_subparsers(dest="command", required=True)

    summary = commands.add_parser("summary", help="print a West Midlands summary from the bundled real tables")
    summary.add_argument("--demo", action="store_true", help="use the bundled data (the only source for now)")
    summary.add_argument("--force", default="West Midlands", help="police force area (default: West Midlands)")
    summary.set_defaults(run=_summary)

    validate = commands.add_parser("validate", help="data-quality report of sources, writing nothing")
    validate.add_argument(
        "sources",
        nargs="+",
        metavar="SOURCE",
        help="police.uk file/folder/zip, Home Office table, ONS workbook, or extract",
    )
    validate.add_argument("--mapping", help="column mapping (TOML) when the sources are force extracts")
    validate.add_argument("--json", action="store_true", help="machine-readable output")
    validate.add_argument(
        "--trust-content",
        action="store_true",
        help="read a street file whose name and rows disagree (month, force) as its rows say",
    )
    validate.add_argument("--sheet", help="read only this sheet of a workbook (when two sheets hold the same table)")
    _boundaries_option(validate)
    validate.set_defaults(run=_validate)

    snapshot = commands.add_parser("snapshot", help="write a performance snapshot (sentences, charts, Markdown, HTML)")
    snapshot.add_argument(
        "sources", nargs="*", metavar="SOURCE_OR_STORE", help="source files (any supported type) or store folders"
    )
    snapshot.add_argument("--area", help="area the report is about, e.g. Wolverhampton")
    snapshot.add_argument(
        "--year",
        "--period",
        dest="year",
        metavar="PERIOD",
        help="report period: 'latest' (latest complete financial year in the data), 'latest-12-months', "
        "a financial year '2017/18', a quarter '2017/18 Q3', '12m:YYYY-MM' (the 12 months to a month) or "
        "a calendar year '2017'",
    )
    snapshot.add_argument(
        "--base",
        metavar="PERIOD",
        help="comparison period, any earlier period of the same length (default: the one just before; "
        "for a quarter, the same quarter a year before)",
    )
    snapshot.add_argument(
        "--peers",
        help='peer group: a force area, region:<name>, a list ("Wolverhampton,Walsall,Sandwell,Dudley"), '
        "a group named in --peers-file, or at --level force: region:<name>, England, England and Wales",
    )
    snapshot.add_argument("--peers-file", help="named peer groups you keep (TOML or CSV, see docs/peers.md)")
    snapshot.add_argument(
        "--level", choices=("csp", "force"), default="csp", help="compare CSPs (default) or police force areas"
    )
    snapshot.add_argument(
        "--selection",
        action="append",
        help="what to report on (repeat; first is the headline); default total recorded crime",
    )
    snapshot.add_argument("--mapping", help="column mapping (TOML) for force extracts")
    snapshot.add_argument("--out", default="report", help="output folder (default: report)")
    _boundaries_option(snapshot)
    snapshot.add_argument(
        "--formats",
        default="md,html,png,svg",
        help="what to write, comma-separated: documents md, html, docx (Word), xlsx (Excel workbook) and chart "
        "formats png, svg, pdf; findings.csv always (default: md,html,png,svg)",
    )
    snapshot.add_argument(
        "--demo", action="store_true", help="use the bundled West Midlands scenario (Wolverhampton 2017/18)"
    )
    snapshot.set_defaults(run=_snapshot)

    refresh = commands.add_parser(
        "refresh",
        help="ingest new or changed sources into a Parquet store (incremental, idempotent, crash-safe)",
        epilog="Exit codes: 0 ok; 1 a file could not be read or was refused because it claims data another file "
        "wrote (the good ones were ingested unless --strict), the sources hold no data files, or the store cannot "
        "be written (disk full); 2 usage; 3 another refresh holds the store's lock. See docs/store.md.",
    )
    refresh.add_argument("sources", nargs="+", metavar="SOURCE", help="files, folders or zips")
    refresh.add_argument("--store", required=True, help="store folder (created if missing)")
    refresh.add_argument("--mapping", help="column mapping (TOML) for force extracts")
    refresh.add_argument("--dry-run", action="store_true", help="report what would be ingested; write nothing")
    refresh.add_argument("--strict", action="store_true", help="write nothing if any source fails or is refused")
    refresh.add_argument("--records", action="store_true", help="also store police.uk record-level rows")
    refresh.add_argument("--json", action="store_true", help="machine-readable result for schedulers")
    refresh.add_argument("--quiet", action="store_true", help="no progress bar")
    refresh.add_argument(
        "--scheduler",
        metavar="ADDRESS",
        help="read and aggregate the files as tasks on this Dask cluster (tcp://host:8786; needs crimestats[dask])",
    )
    refresh.set_defaults(run=_refresh)

    status = commands.add_parser("status", help="coverage of a store: months per force, gaps, last refresh")
    status.add_argument("--store", required=True, help="store folder")
    status.add_argument("--json", action="store_true", help="machine-readable output")
    status.set_defaults(run=_status)

    compact = commands.add_parser(
        "compact", help="rewrite a store's small files: each source's year in one file (docs/store.md)"
    )
    compact.add_argument("--store", required=True, help="store folder")
    compact.set_defaults(run=_compact)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit code.

    A user's mistake (bad input, unknown area, locked store) is one line on standard error and
    its exit code, never a traceback.
    """
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exit_:
        return int(exit_.code or 0)
    logging.basicConfig(
        level=logging.INFO if args.verbose else logging.WARNING, format="%(levelname)s %(name)s: %(message)s"
    )
    try:
        return int(args.run(args))
    except BrokenPipeError:
        # The reader of our output went away (`crimestats status | head`): not an error of ours.
        with contextlib.suppress(OSError):
            sys.stdout = open(os.devnull, "w")
        return EXIT_OK
    except StoreLockedError as error:
        print(f"crimestats: {error}", file=sys.stderr)
        return EXIT_LOCKED
    except CrimestatsError as error:
        print(f"crimestats: {_one_line(error)}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except OSError as error:  # a file we were pointed at cannot be read or written
        print(f"crimestats: {error.filename or ''}: {error.strerror or error}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except (zipfile.BadZipFile, zlib.error, EOFError, UnicodeDecodeError) as error:  # readers name the file first
        print(f"crimestats: corrupt or truncated input: {_one_line(error)}", file=sys.stderr)
        return EXIT_BAD_INPUT


def _one_line(error: Exception) -> str:
    return " ".join(str(error).split())


if __name__ == "__main__":
    sys.exit(main())
