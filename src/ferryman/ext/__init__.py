"""Optional ORM extensions: ``ferryman.ext.hybrid`` (attributes that are Python on
an object and SQL on the class)."""
