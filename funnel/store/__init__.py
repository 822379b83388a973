"""SQL over the funnel's read models: the query API's, the dashboard's, the health check's."""
