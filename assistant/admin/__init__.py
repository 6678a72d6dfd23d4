"""Administration of the knowledge base: the managed document library (versions, retire, delete),
upload validation, admin sign-in, background re-index jobs with evaluation, and the `docs` CLI."""
