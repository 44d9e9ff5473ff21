"""Retention: each agency's schedule as data, and erasure by destroying a record's data key."""
