"""述职报告: the reports, their checks, versions, Word copies, archive and ledger summary."""
