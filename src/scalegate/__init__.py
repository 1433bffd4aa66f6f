"""scalegate: the control plane of a pilot-to-scale operating model."""

__version__ = "0.1.0"
