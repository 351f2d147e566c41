"""The runlab tracking server: an MLflow-compatible REST API over a tracking store.

Build one with :func:`runlab.server.app.create_app`; ``runlab server`` runs it with uvicorn.
"""
