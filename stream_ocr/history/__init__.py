"""Remembering what was seen: finished tracks in a database, searched with OCR errors forgiven.

Read in data-path order: ``schema`` (the tables, SQLAlchemy Core), ``migrations``
(Alembic, run at start-up), ``store`` (writing rows and searching them) and ``writer``
(the thread that writes in batches, so a slow or absent database never holds up a stream).
"""
