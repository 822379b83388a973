"""The churn-risk model's adapters: read models in, models stored, `python -m services.risk`."""
