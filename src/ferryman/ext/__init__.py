"""Optional ORM extensions: ``ferryman.ext.hybrid`` (attributes that are Python on
an object and SQL on its class) and ``ferryman.ext.associationproxy`` (an
attribute of related objects, seen through a relationship)."""
