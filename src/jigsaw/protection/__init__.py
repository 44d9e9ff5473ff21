"""Encryption at rest: envelope encryption with a data key per agency record."""
