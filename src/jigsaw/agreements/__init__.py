"""Data sharing agreements (tiers 1 to 3) and the PERMIT/DENY/REVIEW validity check."""
