"""forensic_app: offline analyzer for AI-generated music."""

__version__ = "0.1.0"
