"""``ferryman.orm.attributes``: the names code written for
``sqlalchemy.orm.attributes`` imports, for attribute events in particular.

``NO_VALUE`` is the ``oldvalue`` a ``set`` listener gets for an attribute that
is not loaded (or was expired), ``NEVER_SET`` the one for an attribute a new
object was never given; ``OP_REPLACE``, ``OP_APPEND`` and ``OP_REMOVE`` are the
``initiator.op`` of ``set``, ``append`` and ``remove``.
"""

from ._attributes import InstrumentedAttribute, QueryableAttribute
from ._events import NEVER_SET, OP_APPEND, OP_REMOVE, OP_REPLACE, AttributeEventToken
from ._state import NO_VALUE

__all__ = [
    "NEVER_SET",
    "NO_VALUE",
    "OP_APPEND",
    "OP_REMOVE",
    "OP_REPLACE",
    "AttributeEventToken",
    "InstrumentedAttribute",
    "QueryableAttribute",
]
