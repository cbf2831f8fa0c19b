"""The Layer 2 benchmark (scripts/l2-bench/README.md)."""
