"""The model registry on the client side: model URIs and the fluent ``register_model``.

The registry itself is a store (:mod:`runlab.store.registry_base`) reached through
:class:`runlab.RunlabClient`; this package holds what sits on top of it. It imports
nothing heavy.
"""

from __future__ import annotations

from runlab.registry._fluent import register_model

__all__ = ["register_model"]
