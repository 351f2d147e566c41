from __future__ import annotations

import random
import re

import pytest

from runlab.store._names import ADJECTIVES, NOUNS, generate_run_name

NAME_RE = re.compile(r"^[a-z]+-[a-z]+-\d{3}$")


def test_format():
    for _ in range(500):
        name = generate_run_name()
        assert NAME_RE.match(name), name
        adjective, noun, number = name.split("-")
        assert adjective in ADJECTIVES
        assert noun in NOUNS
        assert 0 <= int(number) <= 999


def test_variety():
    names = [generate_run_name() for _ in range(200)]
    assert len(set(names)) >= 195
    assert len({n.split("-")[0] for n in names}) >= 50
    assert len({n.split("-")[1] for n in names}) >= 50


def test_seeded_rng_is_deterministic():
    first = [generate_run_name(random.Random(42)) for _ in range(3)]
    assert len(set(first)) == 1
    a, b = random.Random(7), random.Random(7)
    assert [generate_run_name(a) for _ in range(20)] == [generate_run_name(b) for _ in range(20)]
    assert generate_run_name(random.Random(1)) != generate_run_name(random.Random(2))


@pytest.mark.parametrize("words", [ADJECTIVES, NOUNS])
def test_word_lists(words: tuple[str, ...]):
    assert 90 <= len(words) <= 120
    assert len(set(words)) == len(words)
    assert all(re.fullmatch(r"[a-z]{2,10}", w) for w in words)


def test_lists_do_not_overlap():
    assert not set(ADJECTIVES) & set(NOUNS)
