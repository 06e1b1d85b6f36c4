"""Alembic migrations of the SQL index (a package so that installs carry them); see env.py."""
