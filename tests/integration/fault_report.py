"""The fault suite's count per fault, kept for the session and printed at its end.

``test_faults.py`` remembers one :class:`FaultTally` per fault it ran (or skipped), and the
``pytest_terminal_summary`` hook of ``conftest.py`` prints them as a table, so that ``make test``
shows, per fault, how many documents were lost and stuck whatever pytest's options (``-q``, no
``-rA``) and whether or not a test failed.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields

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


TALLIES = pytest.StashKey[list[FaultTally]]()
_COLUMNS = [f.name for f in fields(FaultTally) if f.name not in ("fault", "note", "details")]


def remember(config: pytest.Config, tally: FaultTally) -> None:
    config.stash.setdefault(TALLIES, []).append(tally)


def write_report(reporter: pytest.TerminalReporter) -> None:
    """The table, when the fault suite ran in this session."""
    tallies = reporter.config.stash.get(TALLIES, [])
    if not tallies:
        return
    width = max(len("fault"), *(len(t.fault) for t in tallies))
    reporter.write_sep("=", "fault suite: documents per fault")
    reporter.write_line(f"{'fault':<{width}}  " + "  ".join(f"{c:>10}" for c in _COLUMNS))
    for tally in tallies:
        cells = "  ".join(f"{getattr(tally, c):>10}" for c in _COLUMNS)
        reporter.write_line(f"{tally.fault:<{width}}  {cells}"
                            + (f"  ({tally.note})" if tally.note else ""))
        for line in tally.details:
            reporter.write_line(f"{'':<{width}}    {line}")
