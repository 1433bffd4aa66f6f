"""The reusable asset library: versioned assets, labels, policies and reuse."""
