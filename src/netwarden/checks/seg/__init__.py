"""Checks of the seg area."""
