"""Results (结果运用): consequences tables, follow-ups and circulars."""
