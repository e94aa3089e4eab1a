"""Shared mechanics that know no domain: bulk writing, SQL literals. Imports nothing else of Referly."""
