"""Channel adapters: WeChat official accounts, ad-platform lead webhooks, the website collector."""
