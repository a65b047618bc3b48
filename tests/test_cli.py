"""The ``ferryman`` command and its tour (on SQLite in a temporary folder)."""

from __future__ import annotations

import pytest

from ferryman import __version__
from ferryman.cli import main


def test_version(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as done:
        main(["--version"])
    assert done.value.code == 0
    assert __version__ in capsys.readouterr().out


def test_tour_runs_on_embedded_sqlite(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["tour"]) == 0
    out = capsys.readouterr().out
    for expected in (
        "BEGIN (implicit)",
        "-> Hello",
        "[generated in ",
        "(batch of 2)",
        "ROLLBACK TO SAVEPOINT ferryman_sp_1",
        "caught IntegrityError",
        "-> [(1, 'Ada', 120), (2, 'Grace', 80)]",
        "-> ['Ada']",
        "-> streamed (2, 'Grace')",
        "counted in run_sync: 2",
        "COMMIT",
        "Done.",
    ):
        assert expected in out, expected


def test_tour_reports_bad_url(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["tour", "--url", "nosuch://x"]) == 2
    assert "Unknown database backend" in capsys.readouterr().err
