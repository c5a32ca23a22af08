"""Reporters: each turns a ``ScanResult`` into one output format, and nothing else."""

from __future__ import annotations

from privlint.report import github, json_report, sarif, text

FORMATS = {"text": text.render, "json": json_report.render, "sarif": sarif.render,
           "github": github.render}
