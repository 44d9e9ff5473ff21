"""A synthetic multi-agency population with ground truth, for demos, tests and linkage."""
