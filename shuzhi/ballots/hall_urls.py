"""Pages of the hall screen, slips, paper ballots and exports (mounted under ``ballots/``)."""

from django.urls import path

from . import exports, hall, paper_views, slips

urlpatterns = [
    path("hall/<int:pk>/", hall.hall_screen, name="ballot_hall"),
    path("hall/<int:pk>/live/", hall.hall_fragment, name="ballot_hall_fragment"),
    path("round/<int:pk>/slips.pdf", slips.slips_pdf, name="ballot_slips"),
    path("round/<int:pk>/paper/", paper_views.paper_home, name="ballot_paper"),
    path("round/<int:pk>/paper/forms.pdf", paper_views.paper_forms_pdf, name="ballot_paper_forms"),
    path("round/<int:pk>/paper/enter/", paper_views.paper_enter, name="ballot_paper_enter"),
    path("round/<int:pk>/paper/count/", paper_views.paper_count, name="ballot_paper_count"),
    path("round/<int:pk>/export.xlsx", exports.export_xlsx, name="ballot_export_xlsx"),
    path("round/<int:pk>/result.docx", exports.result_docx, name="ballot_result_docx"),
]
