"""The search filter and order-by parser: tables of good and bad input."""

from __future__ import annotations

import math

import pytest

from runlab.errors import InvalidFilterError, InvalidInputError
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


def metric(key: str, op: str, value: object) -> Comparison:
    return Comparison("metric", key, op, value)


def param(key: str, op: str, value: object) -> Comparison:
    return Comparison("param", key, op, value)


def tag(key: str, op: str, value: object) -> Comparison:
    return Comparison("tag", key, op, value)


def attr(key: str, op: str, value: object) -> Comparison:
    return Comparison("attribute", key, op, value)


A = metric("a", ">", 1)
B = metric("b", "<", 2)
C = param("c", "=", "x")

GOOD_RUN_FILTERS: list[tuple[str, Node]] = [
    # every type alias
    ("metrics.loss < 0.5", metric("loss", "<", 0.5)),
    ("metric.loss <= 1", metric("loss", "<=", 1)),
    ("params.lr = '0.1'", param("lr", "=", "0.1")),
    ("param.lr = '0.1'", param("lr", "=", "0.1")),
    ("parameters.lr = '0.1'", param("lr", "=", "0.1")),
    ("parameter.lr = '0.1'", param("lr", "=", "0.1")),
    ("tags.team != 'a'", tag("team", "!=", "a")),
    ("tag.team <> 'a'", tag("team", "!=", "a")),
    ("attributes.status = 'FINISHED'", attr("status", "=", "FINISHED")),
    ("attribute.status = 'FINISHED'", attr("status", "=", "FINISHED")),
    ("attr.status = 'FINISHED'", attr("status", "=", "FINISHED")),
    ("run.status = 'FINISHED'", attr("status", "=", "FINISHED")),
    ("status = 'FINISHED'", attr("status", "=", "FINISHED")),
    ("METRICS.loss > 1", metric("loss", ">", 1)),
    ("datasets.name = 'mnist'", Comparison("dataset", "name", "=", "mnist")),
    ("dataset.digest = 'abc'", Comparison("dataset", "digest", "=", "abc")),
    ("datasets.context IN ('train')", Comparison("dataset", "context", "IN", ("train",))),
    # every attribute, and the aliases
    ("run_id = 'r'", attr("run_id", "=", "r")),
    ("run_uuid = 'r'", attr("run_id", "=", "r")),
    ("run_name = 'n'", attr("run_name", "=", "n")),
    ("user_id = 'u'", attr("user_id", "=", "u")),
    ("artifact_uri LIKE 's3://%'", attr("artifact_uri", "LIKE", "s3://%")),
    ("lifecycle_stage = 'active'", attr("lifecycle_stage", "=", "active")),
    ("start_time >= 5", attr("start_time", ">=", 5)),
    ("created > 5", attr("start_time", ">", 5)),
    ("attributes.created > 5", attr("start_time", ">", 5)),
    ("end_time IS NULL", attr("end_time", "IS NULL", None)),
    # every operator
    ("metrics.a = 1", metric("a", "=", 1)),
    ("metrics.a != 1", metric("a", "!=", 1)),
    ("metrics.a <> 1", metric("a", "!=", 1)),
    ("metrics.a > 1", metric("a", ">", 1)),
    ("metrics.a >= 1", metric("a", ">=", 1)),
    ("metrics.a < 1", metric("a", "<", 1)),
    ("metrics.a <= 1", metric("a", "<=", 1)),
    ("metrics.a IN (1, 2.5)", metric("a", "IN", (1, 2.5))),
    ("metrics.a not in (1)", metric("a", "NOT IN", (1,))),
    ("metrics.a IS NULL", metric("a", "IS NULL", None)),
    ("metrics.a is not null", metric("a", "IS NOT NULL", None)),
    ("params.a LIKE 'x%'", param("a", "LIKE", "x%")),
    ("params.a like 'x%'", param("a", "LIKE", "x%")),
    ("tags.a ILIKE '%X'", tag("a", "ILIKE", "%X")),
    ("params.a >= 'b'", param("a", ">=", "b")),
    ("params.a IN ('x', \"y\")", param("a", "IN", ("x", "y"))),
    ("params.a NOT IN ('x')", param("a", "NOT IN", ("x",))),
    ("params.a IS NULL", param("a", "IS NULL", None)),
    # numbers
    ("metrics.a = -1", metric("a", "=", -1)),
    ("metrics.a = +2", metric("a", "=", 2)),
    ("metrics.a = 1.5e3", metric("a", "=", 1500.0)),
    ("metrics.a = 1E-3", metric("a", "=", 0.001)),
    ("metrics.a = .5", metric("a", "=", 0.5)),
    ("metrics.a = 5.", metric("a", "=", 5.0)),
    ("metrics.a = 123456789012345678901234", metric("a", "=", 1.2345678901234568e23)),
    ("metrics.a = NaN", metric("a", "=", math.nan)),
    ("metrics.a = nan", metric("a", "=", math.nan)),
    ("metrics.a < Infinity", metric("a", "<", math.inf)),
    ("metrics.a > -INFINITY", metric("a", ">", -math.inf)),
    ("metrics.a = 1e999", metric("a", "=", math.inf)),
    ("metrics.a IN (NaN, 1)", metric("a", "IN", (math.nan, 1))),
    # strings and escapes
    ('params.a = "double"', param("a", "=", "double")),
    ("params.a = 'it''s'", param("a", "=", "it's")),
    ("params.a = 'it\\'s'", param("a", "=", "it's")),
    ('params.a = "say ""hi"""', param("a", "=", 'say "hi"')),
    ("params.a = 'back\\\\slash'", param("a", "=", "back\\slash")),
    ("params.a = 'c:\\dir'", param("a", "=", "c:\\dir")),
    ("params.a LIKE '50\\%'", param("a", "LIKE", "50\\%")),
    ("params.a = ''", param("a", "=", "")),
    ("params.a = 'AND OR ( )'", param("a", "=", "AND OR ( )")),
    # keys: bare with dots and dashes, backticks, double quotes
    ("tags.mlflow.runName = 'x'", tag("mlflow.runName", "=", "x")),
    ("metrics.val-loss/step_2 > 1", metric("val-loss/step_2", ">", 1)),
    ("metrics.`val loss` > 1", metric("val loss", ">", 1)),
    ("params.\"a.b\" = 'x'", param("a.b", "=", "x")),
    ("tags.`a``b` = 'x'", tag("a`b", "=", "x")),
    ("tags.`it's` = 'x'", tag("it's", "=", "x")),
    ("`run_name` = 'x'", attr("run_name", "=", "x")),
    # spacing
    ("  metrics.a>=-1  ", metric("a", ">=", -1)),
    ("(metrics.a>1)OR(metrics.b<2)", Or((A, B))),
    # precedence, parentheses, flattening
    ("metrics.a > 1 AND metrics.b < 2", And((A, B))),
    ("metrics.a > 1 and metrics.b < 2 And params.c = 'x'", And((A, B, C))),
    ("metrics.a > 1 OR metrics.b < 2 AND params.c = 'x'", Or((A, And((B, C))))),
    ("metrics.a > 1 AND metrics.b < 2 OR params.c = 'x'", Or((And((A, B)), C))),
    ("(metrics.a > 1 OR metrics.b < 2) AND params.c = 'x'", And((Or((A, B)), C))),
    ("metrics.a > 1 AND (metrics.b < 2 OR params.c = 'x')", And((A, Or((B, C))))),
    ("((metrics.a > 1))", A),
    ("(metrics.a > 1 AND metrics.b < 2) AND params.c = 'x'", And((A, B, C))),
    ("metrics.a > 1 or (metrics.b < 2 OR params.c = 'x')", Or((A, B, C))),
]


@pytest.mark.parametrize(("text", "expected"), GOOD_RUN_FILTERS)
def test_parses_run_filter(text: str, expected: Node) -> None:
    assert parse_run_filter(text) == expected


BAD_RUN_FILTERS: list[tuple[str, str, int]] = [
    ("metrics.loss foo", "expected a comparison operator after 'metrics.loss'", 13),
    ("metrics.loss", "expected a comparison operator after 'metrics.loss'", 12),
    ("metrics.loss LIKE 'a%'", "LIKE does not apply to metrics.loss", 13),
    ("metrics.loss ILIKE 'a%'", "metrics take =, !=, <, <=, >, >=, IN", 13),
    ("start_time LIKE '1'", "numeric attributes take", 11),
    ("metrics.x = 'a'", "expected a number for metrics.x at position 12, got a string", 12),
    ("metrics.x = abc", "expected a number for metrics.x", 12),
    ("metrics.x = inf", "expected a number for metrics.x", 12),
    ("start_time > NaN", "NaN and Infinity apply to metrics only", 13),
    ("start_time > 1e999", "out of range for start_time", 13),
    ("params.x = 1", "expected a quoted string for params.x", 11),
    ("params.x = abc", "expected a quoted string for params.x", 11),
    ("foo = 'a'", "unknown attribute 'foo' at position 0; valid attributes: artifact_uri", 0),
    ("datasets.foo = 'a'", "unknown dataset field 'foo'", 0),
    ("bar.x = 'a'", "unknown identifier type 'bar'", 0),
    ("metrics. > 1", "empty key in 'metrics.'", 0),
    ("metrics.`` > 1", "empty key", 0),
    ("params.'a' = 'x'", "empty key in 'params.'", 0),
    ("(metrics.a > 1", "expected ')' at position 14 to close the '(' at position 0", 14),
    ("((metrics.a > 1)", "expected ')'", 16),
    ("metrics.a > 1)", "unbalanced ')'", 13),
    ("()", "expected an identifier", 1),
    ("metrics.a > 1 metrics.b > 2", "expected AND, OR or the end of the filter", 14),
    ("metrics.a > 1 AND", "expected an identifier", 17),
    ("OR metrics.a > 1", "expected an identifier", 0),
    ("'metrics.a' > 1", "expected an identifier", 0),
    ("params.a = 'abc", "unterminated string starting at position 11", 11),
    ("params.a = 'abc\\'", "unterminated string", 11),
    ("metrics.`abc > 1", "unterminated quoted key", 8),
    ("metrics.a ! 1", "did you mean '!='", 10),
    ("metrics.a == 1", "unexpected '==' at position 10; use '='", 10),
    ("metrics.a IN ()", "expected a number for metrics.a", 14),
    ("metrics.a IN (1,)", "expected a number for metrics.a", 16),
    ("metrics.a IN 1", "expected '(' to open the list of values after IN", 13),
    (
        "metrics.a IN (1 2)",
        "expected ',' or ')' at position 16 in the list opened at position 13",
        16,
    ),
    ("metrics.a IS 1", "expected NULL or NOT NULL after IS", 13),
    ("metrics.a IS NOT 1", "expected NULL or NOT NULL after IS", 17),
    ("metrics.a NOT LIKE 1", "expected IN after NOT", 14),
    ("params.a LIKE 'abc\\\\'", "the LIKE pattern ends with a lone escape character", 14),
    ("(" * 60 + "metrics.a > 1" + ")" * 60, "parentheses nested deeper than 50", 50),
]


@pytest.mark.parametrize(("text", "message", "position"), BAD_RUN_FILTERS)
def test_rejects_run_filter(text: str, message: str, position: int) -> None:
    with pytest.raises(InvalidFilterError) as info:
        parse_run_filter(text)
    assert message in info.value.message
    assert info.value.position == position


def test_error_points_at_the_position() -> None:
    with pytest.raises(InvalidFilterError) as info:
        parse_run_filter("metrics.loss foo")
    err = info.value
    assert isinstance(err, InvalidInputError)
    assert err.error_code == "INVALID_PARAMETER_VALUE"
    assert err.message.endswith("\n  metrics.loss foo\n               ^")


@pytest.mark.parametrize("text", [None, "", "   ", "\n\t"])
def test_empty_filter_is_no_filter(text: str | None) -> None:
    assert parse_run_filter(text) is None
    assert parse_experiment_filter(text) is None


def test_comparisons_record_where_they_start() -> None:
    node = parse_run_filter("metrics.a > 1 AND (params.b = 'x')")
    assert isinstance(node, And)
    assert [item.position for item in node.items if isinstance(item, Comparison)] == [0, 19]


def test_positions_do_not_take_part_in_equality() -> None:
    assert metric("a", ">", 1) == Comparison("metric", "a", ">", 1, position=42)


@pytest.mark.parametrize(
    ("node", "text"),
    [
        (A, "metrics.a > 1"),
        (metric("val loss", "=", math.nan), "metrics.`val loss` = NaN"),
        (metric("a", ">", -math.inf), "metrics.a > -Infinity"),
        (param("a.b", "IN", ("it's", "x\\y")), "params.a.b IN ('it''s', 'x\\\\y')"),
        (tag("a`b", "IS NOT NULL", None), "tags.`a``b` IS NOT NULL"),
        (attr("start_time", ">", 5), "start_time > 5"),
        (Comparison("dataset", "name", "=", "m"), "datasets.name = 'm'"),
        (Or((A, And((B, C)))), "metrics.a > 1 OR metrics.b < 2 AND params.c = 'x'"),
        (And((Or((A, B)), C)), "(metrics.a > 1 OR metrics.b < 2) AND params.c = 'x'"),
        (And((A, And((B, C)))), "metrics.a > 1 AND (metrics.b < 2 AND params.c = 'x')"),
        (Or((A, Or((B, C)))), "metrics.a > 1 OR (metrics.b < 2 OR params.c = 'x')"),
    ],
)
def test_render(node: Node, text: str) -> None:
    assert render(node) == text


# ----------------------------------------------------------------------------- experiments

GOOD_EXPERIMENT_FILTERS: list[tuple[str, Node]] = [
    ("name = 'x'", attr("name", "=", "x")),
    ("attributes.name LIKE 'a%'", attr("name", "LIKE", "a%")),
    ("name ILIKE 'A%'", attr("name", "ILIKE", "A%")),
    ("experiment_id = 5", attr("experiment_id", "=", "5")),
    ("experiment_id != '5'", attr("experiment_id", "!=", "5")),
    ("experiment_id IN ('1', 2)", attr("experiment_id", "IN", ("1", "2"))),
    ("experiment_id NOT IN (3)", attr("experiment_id", "NOT IN", ("3",))),
    ("creation_time > 5", attr("creation_time", ">", 5)),
    ("last_update_time <= 10", attr("last_update_time", "<=", 10)),
    ("lifecycle_stage = 'deleted'", attr("lifecycle_stage", "=", "deleted")),
    ("tags.owner IS NULL", tag("owner", "IS NULL", None)),
    (
        "(tags.owner = 'ann' OR tags.`the team` != 'x') AND creation_time > 5",
        And(
            (
                Or((tag("owner", "=", "ann"), tag("the team", "!=", "x"))),
                attr("creation_time", ">", 5),
            )
        ),
    ),
]


@pytest.mark.parametrize(("text", "expected"), GOOD_EXPERIMENT_FILTERS)
def test_parses_experiment_filter(text: str, expected: Node) -> None:
    assert parse_experiment_filter(text) == expected


BAD_EXPERIMENT_FILTERS: list[tuple[str, str, int]] = [
    ("metrics.x > 1", "metrics cannot be used in an experiment filter", 0),
    ("params.a = 'x'", "use attributes or tags", 0),
    ("experiment_id > 1", "> does not apply to experiment_id", 14),
    ("experiment_id LIKE '1%'", "experiment ids take =, !=, IN, NOT IN", 14),
    ("experiment_id = 1.5", "expected an experiment id", 16),
    ("run_name = 'x'", "unknown attribute 'run_name'", 0),
    ("creation_time = 'x'", "expected a number for creation_time", 16),
    ("name = 'x' AND", "expected an identifier", 14),
]


@pytest.mark.parametrize(("text", "message", "position"), BAD_EXPERIMENT_FILTERS)
def test_rejects_experiment_filter(text: str, message: str, position: int) -> None:
    with pytest.raises(InvalidFilterError) as info:
        parse_experiment_filter(text)
    assert message in info.value.message
    assert info.value.position == position


# ----------------------------------------------------------------------------- order by


@pytest.mark.parametrize(
    ("clauses", "expected"),
    [
        (None, []),
        ([], []),
        (["metrics.loss"], [OrderKey("metric", "loss")]),
        (
            ["metrics.loss DESC", "params.`a b` asc", "created", "attr.run_uuid desc"],
            [
                OrderKey("metric", "loss", ascending=False),
                OrderKey("param", "a b"),
                OrderKey("attribute", "start_time"),
                OrderKey("attribute", "run_id", ascending=False),
            ],
        ),
        (['tags."mlflow.user" DESC'], [OrderKey("tag", "mlflow.user", ascending=False)]),
    ],
)
def test_parses_order_by(clauses: list[str] | None, expected: list[OrderKey]) -> None:
    assert parse_order_by(clauses) == expected


@pytest.mark.parametrize(
    ("clause", "message", "position"),
    [
        ("datasets.name", "datasets cannot be used in a run order_by clause", 0),
        ("metrics.loss DOWN", "expected ASC, DESC or the end of the clause", 13),
        ("metrics.loss DESC ASC", "expected ASC, DESC or the end of the clause", 18),
        ("", "expected an identifier", 0),
        ("foo", "unknown attribute 'foo'", 0),
        ("metrics.`loss", "unterminated quoted key", 8),
    ],
)
def test_rejects_order_by(clause: str, message: str, position: int) -> None:
    with pytest.raises(InvalidFilterError) as info:
        parse_order_by([clause])
    assert message in info.value.message
    assert info.value.position == position


def test_parses_experiment_order_by() -> None:
    clauses = ["name", "experiment_id DESC", "creation_time asc", "last_update_time Desc"]
    assert parse_experiment_order_by(clauses) == [
        OrderKey("attribute", "name"),
        OrderKey("attribute", "experiment_id", ascending=False),
        OrderKey("attribute", "creation_time"),
        OrderKey("attribute", "last_update_time", ascending=False),
    ]


@pytest.mark.parametrize(
    ("clause", "message"),
    [
        ("tags.owner", "tags cannot be used in an experiment order_by clause"),
        ("lifecycle_stage", "unknown attribute 'lifecycle_stage'"),
    ],
)
def test_rejects_experiment_order_by(clause: str, message: str) -> None:
    with pytest.raises(InvalidFilterError, match=message):
        parse_experiment_order_by([clause])


def test_render_order_key() -> None:
    assert render_order_key(OrderKey("metric", "val loss", ascending=False)) == (
        "metrics.`val loss` DESC"
    )
    assert render_order_key(OrderKey("attribute", "start_time")) == "start_time ASC"
