"""The SQL warehouse (SQLAlchemy 2, SQLite embedded and PostgreSQL in production): one repository per aggregate
behind a unit of work, the facade that unites them, and the read side."""

from storyline.adapters.warehouse.facade import SqlWarehouse
from storyline.adapters.warehouse.read import SqlReader

__all__ = ["SqlReader", "SqlWarehouse"]
