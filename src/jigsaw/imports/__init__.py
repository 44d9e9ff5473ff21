"""Bringing an agency's records in from a file (``jigsaw import``)."""
