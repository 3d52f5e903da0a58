#!/usr/bin/env python
"""The engine benchmark: runs :func:`benchmarks.engine_alone.main` (see that module for what it does and its options)."""
from benchmarks.engine_alone import main

if __name__ == "__main__":
    main()
