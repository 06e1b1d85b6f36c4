"""Hooks for the whole suite. They live here, not in ``tests/integration/conftest.py``: under
``pytest -n`` the controller process collects nothing, so it loads only the conftest files
beside the paths it was given (``tests``), and the summary is printed there."""

from __future__ import annotations

import pytest

from tests.integration.fault_report import collect, write_report


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    """The fault suite's tallies travel in its reports, from whichever process ran it."""
    collect(report)


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    """The fault suite's table (``test_faults.py``): per fault, documents lost, stuck, archived."""
    write_report(terminalreporter)
