"""Warnings: the ledger, routing, digest e-mails and their delivery, engineer alerts, the improvement report."""
