"""Reporters: each turns a ``ScanResult`` into one output format, and nothing else."""

from __future__ import annotations

from privlint.report import json_report, text

FORMATS = {"text": text.render, "json": json_report.render}
