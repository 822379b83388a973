"""A realistic synthetic data set for the whole system, posted through the public HTTP APIs."""
