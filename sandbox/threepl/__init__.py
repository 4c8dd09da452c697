"""Simulator of the REST 3PL warehouse (connectors/threepl/README.md describes its wire shape)."""
