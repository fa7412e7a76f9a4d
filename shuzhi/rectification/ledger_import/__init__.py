"""Import a problem ledger (导入台账) from Excel or CSV: check every row, then write in bulk.

An organisation department keeps its ledger as a spreadsheet with one line per item. The file's
header row names the columns in Chinese (see :data:`COLUMNS`); a title row above the header —
as in the ledger this product exports — is skipped. Each row becomes one ``Problem`` of the
chosen year, in the unit named by 组织代码 (or by 单位名称 when that name is unique in the
import's scope), numbered on after the unit's last serial of that year.

The path follows the unit import (docs/decisions/0003-bulk-import.md):

- the file is read into columns and every row is checked before anything is written, with
  dict look-ups over those columns (units and sources are read once, dates parsed once per
  distinct text); every bad row is reported by its number in Excel, and nothing is written while
  any row is bad;
- with the receiving units' rows locked (as ``services.create_problem`` locks its unit, so
  serials cannot collide), ids are taken from the table's sequence and the rows go in with
  one ``COPY`` on PostgreSQL (``bulk_create`` on SQLite), with their progress notes and each
  item's first status record (待整改 or 整改中, as for an item recorded by hand);
- one audit entry records the import (counts, the file name) and one summary entry per unit
  records how many items it received and their serials, so each unit's history shows them.

The stages live in ``reading``, ``checking``, ``writing`` and ``jobs``. Imports run as
background jobs (``LedgerImport`` + the django-tasks task in ``tasks.py``); the job row carries
the progress the page polls.
"""

from .checking import LedgerPlan, parse_date, plan_ledger
from .common import (
    COLUMNS,
    EXAMPLE_ROW,
    HEADER_OF,
    MAX_STORED_ERRORS,
    TEMPLATE_COLUMNS,
    ImportRefused,
)
from .jobs import (
    create_import,
    error_report,
    import_file,
    import_units_for,
    imports_visible_to,
    report_of,
    run_import,
)
from .reading import LedgerRows, read_ledger
from .writing import WRITTEN_TABLES, LedgerOutcome, write_plan

__all__ = [
    "COLUMNS",
    "EXAMPLE_ROW",
    "HEADER_OF",
    "MAX_STORED_ERRORS",
    "TEMPLATE_COLUMNS",
    "WRITTEN_TABLES",
    "ImportRefused",
    "LedgerOutcome",
    "LedgerPlan",
    "LedgerRows",
    "create_import",
    "error_report",
    "import_file",
    "import_units_for",
    "imports_visible_to",
    "parse_date",
    "plan_ledger",
    "read_ledger",
    "report_of",
    "run_import",
    "write_plan",
]
