"""Checks of the paas area."""
