"""Benchmark scripts: they print figures and are never collected by pytest."""
