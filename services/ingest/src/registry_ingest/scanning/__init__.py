"""Scanning what an artifact holds before it is stored (unsafe pickle imports)."""
