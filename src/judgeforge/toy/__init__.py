"""The toy world: tiny local models and synthetic tasks whose right verdict is known."""
