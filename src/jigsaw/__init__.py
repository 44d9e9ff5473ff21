"""Jigsaw: multi-agency safeguarding information sharing."""

__version__ = "0.1.0"
