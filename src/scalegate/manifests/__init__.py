"""Objects as code: YAML documents in the Kubernetes shape, applied idempotently."""
