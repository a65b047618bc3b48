"""Statement echo: ``create_engine(echo=True)`` and the ``ferryman.engine`` logger."""

from __future__ import annotations

import logging
import re
from typing import Any

import pytest

from ferryman import create_engine, exc, text

SELECT_X = text("SELECT CAST(:x AS INTEGER) AS v")


def _messages(output: str) -> list[str]:
    """The logged messages in captured output, without time, level and logger name."""
    found = []
    for line in output.splitlines():
        head, sep, message = line.partition(" ferryman.engine ")
        if sep:
            assert re.match(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3} (INFO|DEBUG)$", head), line
            found.append(message)
    return found


def _sql(engine: Any, statement: Any) -> str:
    """The statement's SQL as this engine's driver receives it."""
    return statement._compile(engine.dialect.paramstyle).sql


async def _fresh_table(conn: Any) -> None:
    await conn.execute(text("DROP TABLE IF EXISTS echo_items"))
    await conn.execute(text("CREATE TABLE echo_items (id INTEGER PRIMARY KEY, name VARCHAR(20))"))


async def test_statements_and_transactions(make_engine: Any, capsys: Any) -> None:
    engine = make_engine(echo=True)
    assert engine.echo is True
    async with engine.connect() as conn:
        assert (await conn.execute(SELECT_X, {"x": 1})).scalar() == 1
        assert (await conn.execute(SELECT_X, {"x": 2})).scalar() == 2
        await conn.commit()
        await conn.execute(SELECT_X, {"x": 3})
        await conn.rollback()
    messages = _messages(capsys.readouterr().out)
    sql = _sql(engine, SELECT_X)
    assert messages[0] == "BEGIN (implicit)"
    assert messages[1] == sql
    assert re.fullmatch(r"\[generated in \d+\.\d{5}s\] \{'x': 1\}", messages[2]), messages[2]
    assert messages[3] == sql
    assert re.fullmatch(r"\[cached since \S+s ago\] \{'x': 2\}", messages[4]), messages[4]
    assert messages[5] == "COMMIT"
    assert messages[6] == "BEGIN (implicit)"
    assert messages[7] == sql
    assert re.fullmatch(r"\[cached since \S+s ago\] \{'x': 3\}", messages[8]), messages[8]
    assert messages[9] == "ROLLBACK"
    assert len(messages) == 10
    assert not any(m.startswith(("Row", "Col")) for m in messages)


async def test_cache_is_per_engine(make_engine: Any, capsys: Any) -> None:
    engine = make_engine(echo=True)
    statement = text("SELECT CAST(:y AS INTEGER) AS echo_cache_probe")
    async with engine.connect() as conn:
        await conn.execute(statement, {"y": 1})
    async with engine.connect() as conn:
        await conn.execute(statement, {"y": 2})
    notes = [m for m in _messages(capsys.readouterr().out) if m.startswith("[")]
    assert notes[0].startswith("[generated in ")
    assert notes[1].startswith("[cached since ")
    engine.clear_compiled_cache()
    async with engine.connect() as conn:
        await conn.execute(statement, {"y": 3})
    notes = [m for m in _messages(capsys.readouterr().out) if m.startswith("[")]
    assert notes == [notes[0]]
    assert notes[0].startswith("[generated in ")


async def test_explicit_begin_and_block_rollback(make_engine: Any, capsys: Any) -> None:
    engine = make_engine(echo=True)
    async with engine.connect() as conn:
        async with conn.begin():
            await conn.execute(text("SELECT 1 AS one"))
        with pytest.raises(RuntimeError):
            async with conn.begin():
                await conn.execute(text("SELECT 2 AS two"))
                raise RuntimeError("boom")
    messages = _messages(capsys.readouterr().out)
    assert "BEGIN (implicit)" not in messages
    begins = [m for m in messages if m.startswith("BEGIN")]
    assert len(begins) == 2
    assert messages.index("COMMIT") < messages.index("SELECT 2 AS two")
    assert messages[-1] == "ROLLBACK"


async def test_savepoints(make_engine: Any, capsys: Any) -> None:
    engine = make_engine(echo=True)
    async with engine.connect() as conn:
        await conn.execute(text("SELECT 1 AS one"))
        async with conn.begin_nested():
            await conn.execute(text("SELECT 2 AS two"))
        savepoint = await conn.begin_nested()
        await savepoint.rollback()
        await conn.commit()
    messages = _messages(capsys.readouterr().out)
    assert "SAVEPOINT ferryman_sp_1" in messages
    assert "RELEASE SAVEPOINT ferryman_sp_1" in messages
    assert "SAVEPOINT ferryman_sp_2" in messages
    assert "ROLLBACK TO SAVEPOINT ferryman_sp_2" in messages
    order = [
        "BEGIN (implicit)",
        "SAVEPOINT ferryman_sp_1",
        "SELECT 2 AS two",
        "RELEASE SAVEPOINT ferryman_sp_1",
        "SAVEPOINT ferryman_sp_2",
        "ROLLBACK TO SAVEPOINT ferryman_sp_2",
        "COMMIT",
    ]
    positions = [messages.index(m) for m in order]
    assert positions == sorted(positions)


async def test_executemany_shows_batch_size(make_engine: Any, capsys: Any) -> None:
    engine = make_engine(echo=True)
    async with engine.connect() as conn:
        await _fresh_table(conn)
        insert = text("INSERT INTO echo_items (id, name) VALUES (:id, :name)")
        capsys.readouterr()
        await conn.execute(insert, [{"id": i, "name": f"n{i}"} for i in range(25)])
        await conn.execute(insert, [{"id": 100, "name": "a"}, {"id": 101, "name": "b"}])
        await conn.execute(text("DROP TABLE echo_items"))
        await conn.commit()
    messages = _messages(capsys.readouterr().out)
    assert messages[0] == _sql(engine, insert)
    assert re.fullmatch(r"\[generated in \S+s\] \(batch of 25\) \[.*\.\.\. 15 more\]", messages[1])
    assert "{'id': 0, 'name': 'n0'}" in messages[1]
    assert "{'id': 9, 'name': 'n9'}" in messages[1]
    assert "'n10'" not in messages[1]
    assert messages[3] == (
        messages[3].split("]")[0] + "] (batch of 2) [{'id': 100, 'name': 'a'}, "
        "{'id': 101, 'name': 'b'}]"
    )
    assert "more" not in messages[3]


async def test_exec_driver_sql_shows_raw_sql(make_engine: Any, capsys: Any) -> None:
    engine = make_engine(echo=True)
    async with engine.connect() as conn:
        assert (await conn.exec_driver_sql("SELECT 40 + 2")).scalar() == 42
        await conn.exec_driver_sql("SELECT 40 + 2")
    messages = _messages(capsys.readouterr().out)
    assert messages[1:5] == ["SELECT 40 + 2", "[raw sql] ()", "SELECT 40 + 2", "[raw sql] ()"]


async def test_statement_without_parameters(make_engine: Any, capsys: Any) -> None:
    engine = make_engine(echo=True)
    async with engine.connect() as conn:
        await conn.execute(text("SELECT 7 AS seven"))
    messages = _messages(capsys.readouterr().out)
    assert messages[1] == "SELECT 7 AS seven"
    assert re.fullmatch(r"\[generated in \S+s\] \(\)", messages[2])


async def test_stream_is_echoed(make_engine: Any, capsys: Any) -> None:
    engine = make_engine(echo="debug")
    async with engine.connect() as conn:
        result = await conn.stream(text("SELECT 5 AS five UNION ALL SELECT 6"))
        assert [row[0] async for row in result] == [5, 6]
    messages = _messages(capsys.readouterr().out)
    assert "SELECT 5 AS five UNION ALL SELECT 6" in messages
    assert "Row (5,)" in messages
    assert "Row (6,)" in messages


async def test_hide_parameters(make_engine: Any, capsys: Any) -> None:
    engine = make_engine(echo=True, hide_parameters=True)
    secret = "s3cr3t-value"
    async with engine.connect() as conn:
        await conn.execute(text("SELECT CAST(:p AS VARCHAR(20)) AS p"), {"p": secret})
        await conn.execute(text("SELECT CAST(:p AS VARCHAR(20)) AS p"), {"p": secret + "2"})
        with pytest.raises(exc.DBAPIError) as info:
            await conn.execute(
                text("SELECT * FROM echo_no_such_table WHERE x = :p"), {"p": secret}
            )
        await conn.rollback()
    out = capsys.readouterr().out
    assert secret not in out
    assert secret not in str(info.value)
    assert "[SQL parameters hidden due to hide_parameters=True]" in str(info.value)
    notes = [m for m in _messages(out) if m.startswith("[")]
    assert notes[0].startswith("[generated in ")
    assert notes[0].endswith("] [SQL parameters hidden due to hide_parameters=True]")
    assert notes[1].startswith("[cached since ")
    assert notes[1].endswith("] [SQL parameters hidden due to hide_parameters=True]")


async def test_parameters_shown_in_errors_without_hide(make_engine: Any) -> None:
    engine = make_engine()
    async with engine.connect() as conn:
        with pytest.raises(exc.DBAPIError) as info:
            await conn.execute(
                text("SELECT * FROM echo_no_such_table WHERE x = :p"), {"p": "visible-value"}
            )
    assert "visible-value" in str(info.value)
    assert "echo_no_such_table" in str(info.value)


async def test_echo_debug_logs_rows(make_engine: Any, capsys: Any) -> None:
    engine = make_engine(echo="debug")
    assert engine.echo == "debug"
    async with engine.connect() as conn:
        await _fresh_table(conn)
        await conn.execute(text("INSERT INTO echo_items (id, name) VALUES (1, 'a'), (2, 'b')"))
        capsys.readouterr()
        rows = (await conn.execute(text("SELECT id, name FROM echo_items ORDER BY id"))).all()
        assert rows == [(1, "a"), (2, "b")]
        await conn.execute(text("DROP TABLE echo_items"))
        await conn.commit()
    out = capsys.readouterr().out
    messages = _messages(out)
    assert "Col ('id', 'name')" in messages
    assert "Row (1, 'a')" in messages
    assert "Row (2, 'b')" in messages
    assert messages.index("Row (1, 'a')") < messages.index("Row (2, 'b')")
    assert re.search(r" DEBUG ferryman\.engine Row \(1, 'a'\)", out)


async def test_echo_false_prints_nothing(make_engine: Any, capsys: Any, caplog: Any) -> None:
    engine = make_engine(echo=False)
    assert engine.echo is False
    async with engine.connect() as conn:
        await conn.execute(SELECT_X, {"x": 1})
        await conn.exec_driver_sql("SELECT 1")
        async with conn.begin_nested():
            pass
        await conn.commit()
    assert capsys.readouterr().out == ""
    assert not [r for r in caplog.records if r.name == "ferryman.engine"]


async def test_logger_at_info_without_echo(make_engine: Any, caplog: Any) -> None:
    caplog.set_level(logging.INFO, logger="ferryman.engine")
    engine = make_engine()
    async with engine.connect() as conn:
        await conn.execute(SELECT_X, {"x": 5})
        await conn.execute(SELECT_X, {"x": 6})
        await conn.commit()
    records = [r for r in caplog.records if r.name == "ferryman.engine"]
    messages = [r.getMessage() for r in records]
    assert messages[0] == "BEGIN (implicit)"
    assert messages[1] == _sql(engine, SELECT_X)
    assert re.fullmatch(r"\[generated in \S+s\] \{'x': 5\}", messages[2])
    assert re.fullmatch(r"\[cached since \S+s ago\] \{'x': 6\}", messages[4])
    assert messages[-1] == "COMMIT"
    assert all(r.levelno == logging.INFO for r in records)
    assert not any(m.startswith("Row") for m in messages)


async def test_logger_at_debug_without_echo_logs_rows(make_engine: Any, caplog: Any) -> None:
    caplog.set_level(logging.DEBUG, logger="ferryman.engine")
    engine = make_engine()
    async with engine.connect() as conn:
        assert (await conn.execute(SELECT_X, {"x": 8})).all() == [(8,)]
    messages = [r.getMessage() for r in caplog.records if r.name == "ferryman.engine"]
    assert "Row (8,)" in messages
    assert "Col ('v',)" in messages


async def test_echo_lines_also_reach_logging(make_engine: Any, caplog: Any) -> None:
    engine = make_engine(echo=True)
    async with engine.connect() as conn:
        await conn.execute(SELECT_X, {"x": 9})
    messages = [r.getMessage() for r in caplog.records if r.name == "ferryman.engine"]
    assert "BEGIN (implicit)" in messages
    assert _sql(engine, SELECT_X) in messages


async def test_turning_echo_on_later(make_engine: Any, capsys: Any) -> None:
    engine = make_engine()
    async with engine.connect() as conn:
        await conn.execute(text("SELECT 1 AS before_echo"))
    assert capsys.readouterr().out == ""
    engine.echo = True
    async with engine.connect() as conn:
        await conn.execute(text("SELECT 1 AS after_echo"))
    assert "SELECT 1 AS after_echo" in _messages(capsys.readouterr().out)


def test_bad_echo_value() -> None:
    with pytest.raises(exc.ArgumentError, match="echo must be True, False or 'debug'"):
        create_engine("sqlite://", echo="verbose")
