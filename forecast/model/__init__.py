"""The churn-risk model: features, examples, logistic regression, assessment (no I/O)."""
