"""MRE: crawl LiveRC racing results into PostgreSQL and a DuckDB warehouse."""

__version__ = "0.1.0"
