"""Lead scoring: the pure rule engine and its Faust adapter."""
