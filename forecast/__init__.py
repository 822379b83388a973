"""Churn-risk / deal-loss prediction (issue 12 item 3): features, labels, model, reasons."""
