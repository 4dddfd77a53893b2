"""The posture catalogue: one small module per check, grouped by guidance area."""
