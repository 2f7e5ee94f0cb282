"""Helpers shared by tests (importable as ``support``: ``tests`` is on the path)."""
