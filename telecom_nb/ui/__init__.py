"""The notebook front end: the only package that imports ipywidgets, ipyleaflet, bqplot."""

from telecom_nb.ui.dashboard import Dashboard, show_dashboard
from telecom_nb.ui.notebook import advance, finish_short_run, flag_rate, launch
from telecom_nb.ui.settings import NotebookSettings, notebook_settings

__all__ = [
    "Dashboard",
    "NotebookSettings",
    "advance",
    "finish_short_run",
    "flag_rate",
    "launch",
    "notebook_settings",
    "show_dashboard",
]
