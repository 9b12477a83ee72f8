"""Reproducible speed and quality benchmarks against peer libraries (run: ``make bench``)."""
