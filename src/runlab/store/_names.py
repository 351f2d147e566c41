"""Readable generated run names: ``adjective-noun-NNN``, e.g. ``brave-otter-417``.

Both word lists hold short, neutral, lower-case ASCII words without hyphens, so a name always
splits back into its three parts. 100 x 100 x 1,000 gives ten million names.
"""

from __future__ import annotations

import random

__all__ = ["ADJECTIVES", "NOUNS", "generate_run_name"]

ADJECTIVES: tuple[str, ...] = tuple(
    """
    able agile amber ample azure bold brave breezy bright brisk calm candid careful cheerful
    clever cosmic crisp curious dapper daring deft eager early earnest easy elegant epic fair
    fast fearless festive fluffy frank free fresh friendly gentle glad golden graceful grand
    happy hardy hearty honest humble jolly keen kind lively loyal lucky lunar merry mighty
    mellow modest neat nimble noble orderly patient peaceful plucky polite proud quick quiet
    radiant rapid ready regal rosy rustic serene sharp shiny silent silver simple sleek smooth
    snowy solar sparkling spry steady stellar sunny superb swift tidy tranquil upbeat valiant
    vivid warm wise witty zesty
    """.split()
)

NOUNS: tuple[str, ...] = tuple(
    """
    acorn anchor arrow aspen badger beacon bear beaver bison brook canyon cedar cloud comet
    condor coral cougar crane creek cricket delta dolphin dove eagle ember falcon fern finch
    fjord flame fox galaxy gazelle glacier grove gull harbor hawk heron horizon ibis island
    jaguar kestrel koala lagoon lake lark lemur lily lynx maple meadow meteor mole moose nebula
    newt oak ocean orca osprey otter owl panda panther pebble pelican pine planet plover pond
    quail quartz rabbit raven reef river robin salmon sparrow spruce squirrel star stone summit
    swan thrush tiger trout tulip turtle valley walrus whale willow wolf wren yak zebra
    """.split()
)

_system_random = random.SystemRandom()  # stateless, so forked workers do not repeat names


def generate_run_name(rng: random.Random | None = None) -> str:
    """A name like ``brave-otter-417``; pass a seeded ``random.Random`` for repeatable names."""
    r = rng if rng is not None else _system_random
    return f"{r.choice(ADJECTIVES)}-{r.choice(NOUNS)}-{r.randrange(1000):03d}"
