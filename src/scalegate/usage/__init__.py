"""AI usage telemetry: model catalog, usage events and OTLP spans, adoption to trust KPIs."""
