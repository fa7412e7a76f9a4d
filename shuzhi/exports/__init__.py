"""How the product's files are written: Excel, CSV, Word and PDF (docs/decisions/0016)."""
