"""Loan-level behaviour models: prepayment, default, severity; parameters and kernel inputs."""
