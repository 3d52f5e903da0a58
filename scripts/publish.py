#!/usr/bin/env python
"""Publish events to a Pulsar topic: runs :func:`broker.publish.main` (see that module for what it does and its options)."""
from broker.publish import main

if __name__ == "__main__":
    main()
