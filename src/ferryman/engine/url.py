"""``sqlalchemy.engine.url`` users import from here: ``URL``, ``make_url``."""

from ._url import URL, make_url

__all__ = ["URL", "make_url"]
