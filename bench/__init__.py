"""Benchmarks: `python -m bench.NAME`, each printing one comparable JSON figure as its last line."""
