from django.apps import AppConfig


class ExportsConfig(AppConfig):
    """How spreadsheets, CSV files, Word documents and PDFs are written and sent.

    Every domain app decides what goes into its files; this app decides how they are written:
    cells made safe to open, workbook and 公文 layouts, CJK fonts, download responses. It has no
    models and imports only ``core`` and ``kernel``, so every app above may use it.
    """

    name = "shuzhi.exports"
    verbose_name = "导出"
