"""The scoring worker's adapters: the Faust app, agents, table store and codec, telemetry."""
