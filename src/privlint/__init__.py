"""privlint: a static checker that keeps identifiers and secrets out of telemetry."""

__version__ = "0.1.0"
