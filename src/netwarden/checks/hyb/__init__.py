"""Checks of the hyb area."""
