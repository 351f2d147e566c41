"""Framework flavours: each saves its framework's models into the runlab model format.

The public modules are ``runlab.sklearn``, ``runlab.pytorch`` and ``runlab.pyfunc``;
each imports its framework only when called.
"""
