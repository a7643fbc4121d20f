"""arq tasks: thin adapters from the queue to hub services."""
