"""The recourse report: ``write_report(result, path)`` -> PDF (reportlab + matplotlib Agg).

Headless: never imports Qt.
"""

from .pdf import ReportError, ReportExistsError, write_report

__all__ = ["write_report", "ReportExistsError", "ReportError"]
