"""Checks of the Kubernetes area: NetworkPolicies inside the clusters (east-west)."""
