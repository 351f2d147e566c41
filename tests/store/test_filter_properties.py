"""Properties of the filter parser: render round-trips, and no input escapes as anything
but InvalidFilterError."""

from __future__ import annotations

import math
from collections.abc import Callable

from hypothesis import given
from hypothesis import strategies as st

from runlab.errors import InvalidFilterError
from runlab.store.filter import (
    And,
    Comparison,
    Node,
    Or,
    OrderKey,
    parse_experiment_filter,
    parse_experiment_order_by,
    parse_order_by,
    parse_run_filter,
    render,
    render_order_key,
)

COMPARE = ["=", "!=", "<", "<=", ">", ">="]
NUMBER_OPS = [*COMPARE, "IN", "NOT IN", "IS NULL", "IS NOT NULL"]
STRING_OPS = [*NUMBER_OPS, "LIKE", "ILIKE"]
ID_OPS = ["=", "!=", "IN", "NOT IN"]
RUN_STRING_ATTRIBUTES = ["run_id", "run_name", "status", "user_id", "artifact_uri"]
RUN_NUMBER_ATTRIBUTES = ["start_time", "end_time"]

keys = st.text(min_size=1, max_size=12)
integers = st.integers(min_value=-(2**63), max_value=2**63 - 1)
finite = st.one_of(integers, st.floats(allow_nan=False, allow_infinity=False))
# The parser hands back the math.nan object, so equal ASTs compare equal.
metric_numbers = st.one_of(
    integers, st.floats().map(lambda value: math.nan if math.isnan(value) else value)
)
# A LIKE pattern cannot end with a lone escape character.
strings = st.text(max_size=12).filter(lambda text: (len(text) - len(text.rstrip("\\"))) % 2 == 0)


def comparisons(
    kind: st.SearchStrategy[str],
    key: st.SearchStrategy[str],
    ops: list[str],
    values: st.SearchStrategy[object],
) -> st.SearchStrategy[Comparison]:
    def build(kind: str, key: str, op: str, data: st.DataObject) -> Comparison:
        if op in ("IS NULL", "IS NOT NULL"):
            value: object = None
        elif op in ("IN", "NOT IN"):
            value = tuple(data.draw(st.lists(values, min_size=1, max_size=3)))
        else:
            value = data.draw(values)
        return Comparison(kind, key, op, value)

    return st.builds(build, kind, key, st.sampled_from(ops), st.data())


def group(cls: type[And] | type[Or]) -> Callable[[list[Node]], Node]:
    """The parser flattens ``(a AND b) AND c``; build groups the same way."""

    def build(items: list[Node]) -> Node:
        flat: list[Node] = []
        for item in items:
            flat.extend(item.items if isinstance(item, cls) else (item,))
        return cls(tuple(flat))

    return build


def trees(leaves: st.SearchStrategy[Comparison]) -> st.SearchStrategy[Node]:
    return st.recursive(
        leaves,
        lambda children: st.one_of(
            st.lists(children, min_size=2, max_size=3).map(group(And)),
            st.lists(children, min_size=2, max_size=3).map(group(Or)),
        ),
        max_leaves=8,
    )


run_leaves = st.one_of(
    comparisons(st.just("metric"), keys, NUMBER_OPS, metric_numbers),
    comparisons(st.sampled_from(["param", "tag"]), keys, STRING_OPS, strings),
    comparisons(st.just("attribute"), st.sampled_from(RUN_STRING_ATTRIBUTES), STRING_OPS, strings),
    comparisons(st.just("attribute"), st.sampled_from(RUN_NUMBER_ATTRIBUTES), NUMBER_OPS, finite),
    comparisons(
        st.just("dataset"), st.sampled_from(["name", "digest", "context"]), STRING_OPS, strings
    ),
)
experiment_leaves = st.one_of(
    comparisons(st.just("tag"), keys, STRING_OPS, strings),
    comparisons(
        st.just("attribute"), st.sampled_from(["name", "lifecycle_stage"]), STRING_OPS, strings
    ),
    comparisons(
        st.just("attribute"),
        st.sampled_from(["creation_time", "last_update_time"]),
        NUMBER_OPS,
        finite,
    ),
    comparisons(
        st.just("attribute"),
        st.just("experiment_id"),
        ID_OPS,
        st.integers(min_value=0).map(str) | strings,
    ),
)


# Positions are not part of Comparison equality, so == compares ASTs with them stripped.
@given(trees(run_leaves))
def test_run_filter_round_trips(node: Node) -> None:
    assert parse_run_filter(render(node)) == node


@given(trees(experiment_leaves))
def test_experiment_filter_round_trips(node: Node) -> None:
    assert parse_experiment_filter(render(node)) == node


run_order_keys = st.builds(
    OrderKey,
    st.just("attribute"),
    st.sampled_from([*RUN_STRING_ATTRIBUTES, *RUN_NUMBER_ATTRIBUTES, "lifecycle_stage"]),
    st.booleans(),
) | st.builds(OrderKey, st.sampled_from(["metric", "param", "tag"]), keys, st.booleans())


@given(st.lists(run_order_keys, max_size=4))
def test_order_by_round_trips(order: list[OrderKey]) -> None:
    assert parse_order_by([render_order_key(key) for key in order]) == order


@given(
    st.builds(
        OrderKey,
        st.just("attribute"),
        st.sampled_from(["name", "experiment_id", "creation_time", "last_update_time"]),
        st.booleans(),
    )
)
def test_experiment_order_by_round_trips(key: OrderKey) -> None:
    assert parse_experiment_order_by([render_order_key(key)]) == [key]


# ----------------------------------------------------------------------------- robustness

FRAGMENTS = [
    "metrics.loss", "params.lr", "tags.`a b`", 'params."x"', "run_name", "start_time",
    "datasets.name", "experiment_id", "name", "tags.", "metrics.", "foo.bar",
    "=", "!=", "<>", "<", "<=", ">", ">=", "==", "!", "LIKE", "ILIKE", "IN", "NOT", "IS",
    "NULL", "AND", "OR", "ASC", "DESC", "(", ")", ",", "'x'", '"y"', "'", '"', "`", "\\",
    "1", "-2.5e3", "NaN", "-Infinity", "1e999", "'50\\%'", "'\\\\'",
]  # fmt: skip
texts = st.one_of(
    st.text(),
    st.lists(st.sampled_from(FRAGMENTS), max_size=12).map(" ".join),
    st.lists(st.sampled_from(FRAGMENTS), max_size=12).map("".join),
)


def parses_or_rejects(parse: Callable[[str], object], text: str) -> None:
    try:
        parse(text)
    except InvalidFilterError as err:
        position = err.position
    else:
        return
    assert position is not None
    assert 0 <= position <= len(text)


@given(texts)
def test_any_text_parses_or_raises_invalid_filter(text: str) -> None:
    parses_or_rejects(parse_run_filter, text)
    parses_or_rejects(parse_experiment_filter, text)
    parses_or_rejects(lambda clause: parse_order_by([clause]), text)
    parses_or_rejects(lambda clause: parse_experiment_order_by([clause]), text)


@given(trees(run_leaves), st.data())
def test_damaged_filters_parse_or_raise_invalid_filter(node: Node, data: st.DataObject) -> None:
    text = render(node)
    cut = data.draw(st.integers(min_value=0, max_value=len(text)))
    junk = data.draw(st.sampled_from(FRAGMENTS) | st.text(max_size=2))
    parses_or_rejects(parse_run_filter, text[:cut] + junk + text[cut + 1 :])


@given(texts)
def test_rendering_a_parsed_filter_is_stable(text: str) -> None:
    try:
        node = parse_run_filter(text)
    except InvalidFilterError:
        return
    if node is not None:
        assert parse_run_filter(render(node)) == node
