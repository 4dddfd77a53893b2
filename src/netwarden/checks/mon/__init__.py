"""Checks of the mon area."""
