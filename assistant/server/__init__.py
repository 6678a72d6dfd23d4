"""HTTP layer: thin FastAPI routes over the Engine and the database."""
