"""Differential reachability between two versions of an estate."""
