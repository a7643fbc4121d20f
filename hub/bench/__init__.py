"""Benchmarks: each measures Pieuvre against a floor measured in the same run, and prints JSON."""
