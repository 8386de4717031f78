"""Context the pipeline needs besides AIS: flags (MID), sanctions lists, ports, zones."""
