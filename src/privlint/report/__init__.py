"""Reporters: each turns a ``ScanResult`` into one output format, and nothing else."""

from __future__ import annotations

from privlint.report import github, json_report, sarif, text

FORMATS = {"text": text.render, "json": json_report.render, "sarif": sarif.render,
           "github": github.render}
# formats that can also be written piece by piece (a large report is never one string)
CHUNKED = {"json": json_report.chunks}
