"""``ferryman.ext.hybrid``: one formula for an object in Python and for its class in
SQL, on every driver."""

from __future__ import annotations

from typing import Any

import pytest

from ferryman import String, case, func, select
from ferryman.ext.hybrid import hybrid_method, hybrid_property
from ferryman.orm import DeclarativeBase, Mapped, mapped_column


class Base(DeclarativeBase):
    pass


class Account(Base):
    __tablename__ = "hy_accounts"
    id: Mapped[int] = mapped_column(primary_key=True)
    first: Mapped[str] = mapped_column(String(30))
    last: Mapped[str] = mapped_column(String(30))
    balance: Mapped[int]

    @hybrid_property
    def fullname(self) -> str:
        return self.first + " " + self.last

    @fullname.setter
    def fullname(self, value: str) -> None:
        self.first, self.last = value.split(" ", 1)

    @hybrid_property
    def overdrawn_by(self) -> int:
        """Python's ``if`` has no SQL meaning: the class gets a CASE instead."""
        return -self.balance if self.balance < 0 else 0

    @overdrawn_by.inplace.expression
    @classmethod
    def _overdrawn_by_sql(cls) -> Any:
        return case((cls.balance < 0, -cls.balance), else_=0)

    @hybrid_method
    def richer_than(self, amount: int) -> bool:
        return self.balance > amount


@pytest.fixture
async def accounts(engine: Any, make_session: Any) -> Any:
    async with engine.begin() as conn:
        await conn.run_sync(Base.metadata.drop_all)
        await conn.run_sync(Base.metadata.create_all)
    async with make_session() as session:
        session.add_all(
            [
                Account(id=1, first="Ann", last="Lee", balance=50),
                Account(id=2, first="Bob", last="Ray", balance=-20),
                Account(id=3, first="Cy", last="Fox", balance=0),
            ]
        )
        await session.commit()
    yield engine
    async with engine.begin() as conn:
        await conn.run_sync(Base.metadata.drop_all)


async def test_the_same_formula_in_python_and_sql(accounts: Any, make_session: Any) -> None:
    async with make_session() as session:
        found = await session.scalars(select(Account).where(Account.fullname == "Bob Ray"))
        bob = found.one()
        assert bob.fullname == "Bob Ray" and bob.overdrawn_by == 20
        names = await session.execute(select(Account.fullname).order_by(Account.fullname))
        assert names.keys() == ["fullname"]  # labelled with the hybrid's name
        assert names.scalars().all() == ["Ann Lee", "Bob Ray", "Cy Fox"]
        owing = select(Account.id, Account.overdrawn_by).where(Account.overdrawn_by > 0)
        assert (await session.execute(owing)).all() == [(2, 20)]
        rich = await session.scalars(select(Account.id).where(Account.richer_than(-1)))
        assert sorted(rich.all()) == [1, 3]
        assert bob.richer_than(-30) and not bob.richer_than(0)
        total = select(func.sum(Account.overdrawn_by))
        assert await session.scalar(total) == 20

        bob.fullname = "Rob Ray"  # the setter writes the mapped columns
        await session.commit()
    async with make_session() as session:
        renamed = await session.get(Account, 2)
        assert (renamed.first, renamed.last) == ("Rob", "Ray")


def test_errors_and_introspection() -> None:
    account = Account(first="a", last="b", balance=1)
    with pytest.raises(AttributeError, match="'overdrawn_by' has no setter"):
        account.overdrawn_by = 3
    with pytest.raises(AttributeError, match="no deleter"):
        del account.fullname
    assert Account.__dict__["fullname"].__name__ == "fullname"
    assert "Python's" in (Account.__dict__["overdrawn_by"].__doc__ or "")
    assert str(select(Account.id).where(Account.fullname == "x")).endswith(
        "WHERE (hy_accounts.first || :first_1) || hy_accounts.last = :fullname_1"
    )
