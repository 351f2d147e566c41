"""Framework flavours: each saves its framework's models into the runlab model format.

The public modules are ``runlab.sklearn``, ``runlab.pytorch``, ``runlab.xgboost``,
``runlab.lightgbm``, ``runlab.keras``, ``runlab.transformers`` and ``runlab.pyfunc``;
each imports its framework only when called.
"""
