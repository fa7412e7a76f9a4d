"""Import units from CSV or XLSX: validate every row, then write them in bulk.

The file has the columns ``code, name, parent_code, type`` and optionally ``short_name``.
``type`` is a unit type's code or its Chinese name; an empty ``parent_code`` makes a root.
Parents may come after their children. A code already in the database updates that unit
(name, short name, type and parent — a new parent moves the whole subtree); a unit is never
created twice.

The path is built for a national tree of a million units (docs/decisions/0003-bulk-import.md):

- the file is read into columns (one list per column, filled by the ``csv`` module and ``zip``),
  validation runs over those lists with dicts and comprehensions, and the existing units are
  read with one ``values_list`` query — no model object, and little Python work, per row;
- ids of new units are taken from the table's sequence up front, so paths and depths are
  computed in memory and the rows go in with one ``COPY`` on PostgreSQL (``executemany`` on
  SQLite); updated rows go through a temporary table and one ``UPDATE … FROM``; a moved unit's
  descendants that the file does not mention are rewritten with one prefix ``UPDATE`` each;
- everything from the first read of the existing units to the last audit entry happens in one
  transaction holding a lock that keeps other writers of the tree out, so the plan cannot go
  stale and a failure leaves the database as it was.

Every row is checked before anything is written. Nothing is written while a row is bad, unless
the caller asked for the good rows only; then the rows below a bad row (in the file or, through
an existing unit, in the database) are left out too and reported.
"""

from shuzhi.core.bulk.jobs import check_file_name
from shuzhi.orgs.imports.units.common import ImportOutcome, ImportRefused, UnitPlan, UnitRows
from shuzhi.orgs.imports.units.jobs import create_job, import_file, run_job
from shuzhi.orgs.imports.units.planning import plan_units
from shuzhi.orgs.imports.units.reading import read_units_file
from shuzhi.orgs.imports.units.writing import write_plan

__all__ = [
    "ImportOutcome",
    "ImportRefused",
    "UnitPlan",
    "UnitRows",
    "check_file_name",
    "create_job",
    "import_file",
    "plan_units",
    "read_units_file",
    "run_job",
    "write_plan",
]
