"""The fault suite's count per fault, kept for the session and printed at its end.

``test_faults.py`` remembers one :class:`FaultTally` per fault it ran (or skipped), and the
``pytest_terminal_summary`` hook of ``tests/conftest.py`` prints them as a table, so that ``make test``
shows, per fault, how many documents were lost and stuck whatever pytest's options (``-q``, no
``-rA``) and whether or not a test failed.

A tally travels in its test's report (``user_properties``), not in the process that ran it: with
``pytest -n`` the faults run in a worker process and the table is printed by the controller.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, fields

import pytest


@dataclass
class FaultTally:
    """What became of one fault's documents once the fault was over and the stack settled."""

    fault: str
    documents: int = 0
    archived: int = 0
    """Archived with exactly one record row, readable from the archive."""
    failed: int = 0
    """In a final status other than archived (named in ``details``)."""
    lost: int = 0
    """Unknown to the index, or their scan or record gone from S3: nothing can recover them."""
    stuck: int = 0
    """Still ``queued`` or ``processing`` when the generous deadline passed."""
    duplicated: int = 0
    """Archived with more than one record row, or an archived object written twice."""
    swept: int = 0
    """Documents the sweeper queued again (it runs throughout, as in ``sohoa serve``)."""
    note: str = ""
    """Why the fault was skipped, or that its run broke off; empty when it ran."""
    details: list[str] = field(default_factory=list)

    @property
    def clean(self) -> bool:
        return not (self.lost or self.stuck or self.duplicated or self.failed)


_TALLIES: list[FaultTally] = []
"""The session's tallies, in the process that prints the summary."""
_PROPERTY = "fault_tally"
_COLUMNS = [f.name for f in fields(FaultTally) if f.name not in ("fault", "note", "details")]


def remember(item: pytest.Item, tally: FaultTally) -> None:
    """Attach ``tally`` to the report of ``item`` (the running fault test)."""
    item.user_properties.append((_PROPERTY, asdict(tally)))


def collect(report: pytest.TestReport) -> None:
    """Keep the tallies a finished test carried (``pytest_runtest_logreport``): once per test,
    from its teardown report, which carries every property the test attached."""
    if report.when != "teardown":
        return
    for name, value in report.user_properties:
        if name == _PROPERTY:
            _TALLIES.append(FaultTally(**value))


def write_report(reporter: pytest.TerminalReporter) -> None:
    """The table, when the fault suite ran in this session."""
    if not _TALLIES:
        return
    width = max(len("fault"), *(len(t.fault) for t in _TALLIES))
    reporter.write_sep("=", "fault suite: documents per fault")
    reporter.write_line(f"{'fault':<{width}}  " + "  ".join(f"{c:>10}" for c in _COLUMNS))
    for tally in _TALLIES:
        cells = "  ".join(f"{getattr(tally, c):>10}" for c in _COLUMNS)
        reporter.write_line(f"{tally.fault:<{width}}  {cells}"
                            + (f"  ({tally.note})" if tally.note else ""))
        for line in tally.details:
            reporter.write_line(f"{'':<{width}}    {line}")
