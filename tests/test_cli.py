"""The ``ferryman`` command and its tour (on SQLite in a temporary folder, and on
PostgreSQL): the output is checked step by step."""

from __future__ import annotations

import pytest

from ferryman import __version__, create_engine, text
from ferryman._tour import STEPS
from ferryman.cli import main

from .conftest import PG

# What each step prints, whatever the database: the engine's log lines and results.
EXPECTED = {
    1: ["BEGIN (implicit)", "SELECT 'Hello'", "[generated in ", "-> Hello", "-> Hello, async"],
    2: [
        "Base.metadata.create_all(engine)",
        "CREATE TABLE tour_travelers",
        "INSERT INTO tour_travelers (name) VALUES",
        "RETURNING tour_travelers.id, tour_travelers.created_at",
        "FROM tour_travelers WHERE tour_travelers.id = ",  # the refresh after commit
    ],
    3: [
        "-> caught UnloadedAttributeError: Traveler.created_at of <Traveler 2> is not loaded: "
        "it was expired",
        "expire_on_commit=False",
        "await session.refresh(traveler, ['created_at'])",
        '"eager_defaults": True',
    ],
    4: [
        "INSERT INTO tour_countries (name) VALUES",
        "COMMIT",
        "country=<not loaded>)",
        "-> caught UnloadedAttributeError: Traveler.country is not loaded",
        ".options(selectinload(Traveler.country))",
        "-> Norway",
        "LEFT OUTER JOIN",
        "-> ['Dora']",
    ],
    5: ["DROP TABLE tour_travelers", "-> ['tour_countries', 'tour_travelers']", "COMMIT"],
}


def _steps(out: str) -> dict[int, str]:
    """The output of each step, by number."""
    parts = out.split("\n== Step ")[1:]
    return {int(part.split(" ", 1)[0]): part for part in parts}


def test_version_and_help(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as done:
        main(["--version"])
    assert done.value.code == 0
    assert __version__ in capsys.readouterr().out
    with pytest.raises(SystemExit) as done:
        main(["--help"])
    assert done.value.code == 0
    out = capsys.readouterr().out
    assert "tour" in out and "inspect" in out
    assert main([]) == 0  # no command: the help


@pytest.mark.parametrize(
    "url",
    [None, f"postgresql+asyncpg://{PG}", f"postgresql+psycopg://{PG}"],
    ids=["sqlite", "asyncpg", "psycopg"],
)
def test_the_tour(url: str | None, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["tour"] if url is None else ["tour", "--url", url]) == 0
    out = capsys.readouterr().out
    steps = _steps(out)
    assert sorted(steps) == [1, 2, 3, 4, 5]
    for number, lines in EXPECTED.items():
        for line in lines:
            assert line in steps[number], (number, line)
    assert "\x1b[" not in out  # captured, not a terminal: no colours
    assert out.rstrip().endswith("Done.")
    if url is not None:  # the tour drops what it made
        engine = create_engine(url.replace("+asyncpg", "+psycopg"))
        try:
            with engine.connect() as conn:
                left = conn.execute(
                    text("SELECT tablename FROM pg_tables WHERE tablename LIKE 'tour%'")
                )
                assert left.all() == []
        finally:
            engine.dispose()


def test_the_tour_prints_the_code_it_runs(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["tour", "--step", "3"]) == 0
    out = capsys.readouterr().out
    assert list(_steps(out)) == [3]  # one step, its tables made quietly first
    for line in (
        "    async with AsyncSession(engine) as session:",
        "        show(bob.created_at)",
    ):
        assert line in out
    assert "def step_3" not in out and '"""' not in out
    assert len(STEPS) == 5


def test_the_tour_in_colour_on_a_terminal(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("sys.stdout.isatty", lambda: True, raising=False)
    monkeypatch.delenv("NO_COLOR", raising=False)
    assert main(["tour", "--step", "1"]) == 0
    out = capsys.readouterr().out
    assert "\x1b[1;36m== Step 1 of 5 ==\x1b[0m" in out
    assert "\x1b[32m-> Hello\x1b[0m" in out
    monkeypatch.setenv("NO_COLOR", "1")
    assert main(["tour", "--step", "1"]) == 0
    assert "\x1b[" not in capsys.readouterr().out


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (["tour", "--url", "nosuch://x"], "Unknown database backend"),
        (["tour", "--step", "9"], "--step takes 1 to 5, not 9"),
        (["tour", "--url", "postgresql+asyncpg://root@127.0.0.1:1/test"], "ferryman: "),
        (["inspect", "nosuch://x"], "Unknown database backend"),
        (["inspect", "postgresql://root@127.0.0.1:1/test"], "could not connect"),
    ],
    ids=["bad-url", "bad-step", "no-server", "inspect-bad-url", "inspect-no-server"],
)
def test_the_tour_reports_bad_input(
    args: list[str], says: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(args) == 2
    err = capsys.readouterr().err
    assert says in err
    assert len(err.strip().splitlines()) == 1 and "Traceback" not in err
