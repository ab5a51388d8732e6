"""The read-only analytics API over the marts (FastAPI), served by `forge-warehouse serve`."""
