"""Adapters that let tools teams already run (bandit) report privlint's findings."""
