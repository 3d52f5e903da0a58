#!/usr/bin/env python
"""The backfill benchmark: runs :func:`benchmarks.backfill.main` (see that module for what it does and its options)."""
from benchmarks.backfill import main

if __name__ == "__main__":
    main()
