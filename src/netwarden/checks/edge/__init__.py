"""Checks of the edge area."""
