"""Benchmarks of triggersqs and of the tutorial's naive approach, run side by side."""
