"""Writers: analyses return complete result objects; these render them."""
