"""Search filters and order-by clauses: text in, a small frozen AST out.

The parser knows nothing about storage; each store compiles the AST its own way
(``runlab.store.sql.search`` for SQL). Grammar, keywords case-insensitive::

    filter     := or_expr                      (empty text: no filter)
    or_expr    := and_expr (OR and_expr)*
    and_expr   := unary (AND unary)*
    unary      := '(' or_expr ')' | comparison
    comparison := identifier operator [value | '(' value (',' value)* ')']
    identifier := [type '.'] key               (no type: an attribute)
    order_by   := identifier [ASC | DESC]

A key is bare (everything up to whitespace, an operator, a parenthesis, a comma
or a quote) or quoted with backticks or double quotes. Strings are quoted with
single or double quotes; inside any quoted text a quote is escaped by doubling it
or with a backslash, ``\\\\`` is a backslash, and any other backslash is kept as it
is. In LIKE patterns ``%`` and ``_`` are wildcards and a backslash escapes them on
every database, so ``'50\\%'`` matches the text ``50%``.

Every error is an :class:`~runlab.errors.InvalidFilterError` carrying the 0-based
position of the offending token.

A filter holds at most :data:`MAX_FILTER_CLAUSES` comparisons, and its IN lists at most
:data:`MAX_IN_VALUES` values together: past those a query is too large for the databases to plan
(SQLite's expression depth and bound-variable limits), so it is refused up front.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from runlab.errors import InvalidFilterError

__all__ = [
    "MAX_FILTER_CLAUSES",
    "MAX_IN_VALUES",
    "And",
    "Comparison",
    "Node",
    "Or",
    "OrderKey",
    "parse_experiment_filter",
    "parse_experiment_order_by",
    "parse_model_version_filter",
    "parse_model_version_order_by",
    "parse_order_by",
    "parse_registered_model_filter",
    "parse_registered_model_order_by",
    "parse_run_filter",
    "render",
    "render_order_key",
]


# ----------------------------------------------------------------------------- the AST


@dataclass(frozen=True)
class Comparison:
    """``kind.key op value``; ``position`` (where the identifier starts) is left out of
    equality so that two filters meaning the same thing compare equal."""

    kind: str  # "attribute", "metric", "param", "tag" or "dataset"
    key: str  # canonical for attributes: "run_id", "start_time", ...
    op: str  # "=", "!=", "<", "<=", ">", ">=", "LIKE", "ILIKE", "IN", "NOT IN", ...
    value: object  # str | int | float | tuple of those | None (IS [NOT] NULL)
    position: int = field(default=0, compare=False)


@dataclass(frozen=True)
class And:
    items: tuple[Node, ...]


@dataclass(frozen=True)
class Or:
    items: tuple[Node, ...]


Node = Comparison | And | Or


@dataclass(frozen=True)
class OrderKey:
    kind: str
    key: str
    ascending: bool = True


# ----------------------------------------------------------------------------- the languages

_COMPARE_OPS = ("=", "!=", "<", "<=", ">", ">=")
_NUMBER_OPS = (*_COMPARE_OPS, "IN", "NOT IN", "IS NULL", "IS NOT NULL")
_STRING_OPS = (*_COMPARE_OPS, "LIKE", "ILIKE", "IN", "NOT IN", "IS NULL", "IS NOT NULL")
_ID_OPS = ("=", "!=", "IN", "NOT IN")


@dataclass(frozen=True)
class _Field:
    """What one identifier accepts: the type of its values and its operators."""

    values: str  # "metric" (numbers, NaN, ±Infinity), "number", "string" or "id"
    ops: tuple[str, ...]
    noun: str  # names the family in error messages: "metrics take ..."


_METRIC = _Field("metric", _NUMBER_OPS, "metrics")
_NUMBER = _Field("number", _NUMBER_OPS, "numeric attributes")
_STRING = _Field("string", _STRING_OPS, "strings")
_ID = _Field("id", _ID_OPS, "experiment ids")

_KIND_ALIASES = {
    **dict.fromkeys(("metric", "metrics"), "metric"),
    **dict.fromkeys(("param", "params", "parameter", "parameters"), "param"),
    **dict.fromkeys(("tag", "tags"), "tag"),
    **dict.fromkeys(("attribute", "attributes", "attr", "run"), "attribute"),
    **dict.fromkeys(("dataset", "datasets"), "dataset"),
}
_PLURAL = {
    "metric": "metrics",
    "param": "params",
    "tag": "tags",
    "attribute": "attributes",
    "dataset": "datasets",
}
_CLOSED_NOUN = {"attribute": "attribute", "dataset": "dataset field"}

_RUN_ATTRIBUTES = {
    "run_id": _STRING,
    "run_name": _STRING,
    "status": _STRING,
    "user_id": _STRING,
    "artifact_uri": _STRING,
    "lifecycle_stage": _STRING,
    "start_time": _NUMBER,
    "end_time": _NUMBER,
}
_DATASET_FIELDS = {"name": _STRING, "digest": _STRING, "context": _STRING}
_EXPERIMENT_ATTRIBUTES = {
    "name": _STRING,
    "experiment_id": _ID,
    "creation_time": _NUMBER,
    "last_update_time": _NUMBER,
    "lifecycle_stage": _STRING,
}
_EXPERIMENT_SORTABLE = ("name", "experiment_id", "creation_time", "last_update_time")


@dataclass(frozen=True)
class _Language:
    """The identifiers one kind of filter or order-by clause accepts."""

    where: str  # "a run filter": completes "... cannot be used in <where>"
    open_kinds: Mapping[str, _Field]  # any key: metrics, params, tags
    closed_kinds: Mapping[str, Mapping[str, _Field]]  # fixed keys: attributes, datasets
    aliases: Mapping[str, str] = field(default_factory=dict)  # attribute key aliases

    def kinds(self) -> list[str]:
        return [*self.closed_kinds, *self.open_kinds]


_RUN_ALIASES = {"created": "start_time", "run_uuid": "run_id"}
_RUN_FILTER = _Language(
    "a run filter",
    {"metric": _METRIC, "param": _STRING, "tag": _STRING},
    {"attribute": _RUN_ATTRIBUTES, "dataset": _DATASET_FIELDS},
    _RUN_ALIASES,
)
_RUN_ORDER = _Language(
    "a run order_by clause",
    {"metric": _METRIC, "param": _STRING, "tag": _STRING},
    {"attribute": _RUN_ATTRIBUTES},
    _RUN_ALIASES,
)
_EXPERIMENT_FILTER = _Language(
    "an experiment filter", {"tag": _STRING}, {"attribute": _EXPERIMENT_ATTRIBUTES}
)
_EXPERIMENT_ORDER = _Language(
    "an experiment order_by clause",
    {},
    {"attribute": {key: _EXPERIMENT_ATTRIBUTES[key] for key in _EXPERIMENT_SORTABLE}},
)

# The model registry: MLflow's attribute names, plus "version" and "timestamp" aliases.
_REGISTRY_TIMES = {"creation_timestamp": _NUMBER, "last_updated_timestamp": _NUMBER}
_REGISTERED_MODEL_ATTRIBUTES = {"name": _STRING, **_REGISTRY_TIMES}
_MODEL_VERSION_ATTRIBUTES = {
    "name": _STRING,
    "version_number": _NUMBER,
    "run_id": _STRING,
    "source_path": _STRING,
    "current_stage": _STRING,
    "user_id": _STRING,
    **_REGISTRY_TIMES,
}
_REGISTRY_ALIASES = {"timestamp": "creation_timestamp"}
_MODEL_VERSION_ALIASES = {
    **_REGISTRY_ALIASES,
    "version": "version_number",
    "source": "source_path",
    "stage": "current_stage",
}
_REGISTERED_MODEL_FILTER = _Language(
    "a registered model filter",
    {"tag": _STRING},
    {"attribute": _REGISTERED_MODEL_ATTRIBUTES},
    _REGISTRY_ALIASES,
)
_REGISTERED_MODEL_ORDER = _Language(
    "a registered model order_by clause",
    {},
    {"attribute": _REGISTERED_MODEL_ATTRIBUTES},
    _REGISTRY_ALIASES,
)
_MODEL_VERSION_FILTER = _Language(
    "a model version filter",
    {"tag": _STRING},
    {"attribute": _MODEL_VERSION_ATTRIBUTES},
    _MODEL_VERSION_ALIASES,
)
_MODEL_VERSION_ORDER = _Language(
    "a model version order_by clause",
    {},
    {
        "attribute": {
            key: _MODEL_VERSION_ATTRIBUTES[key]
            for key in ("name", "version_number", *_REGISTRY_TIMES)
        }
    },
    _MODEL_VERSION_ALIASES,
)


# ----------------------------------------------------------------------------- the tokenizer

_WORD_STOP = frozenset("()=!<>,'\"`")
_OPERATORS = ("<=", ">=", "!=", "<>", "=", "<", ">")  # two-character ones first
_ESCAPABLE = frozenset("\\'\"`")
_KEYWORDS = frozenset(("AND", "OR", "NOT", "IN", "IS", "NULL", "LIKE", "ILIKE"))
_MAX_DEPTH = 50  # deeper parentheses are an error, not a RecursionError
MAX_FILTER_CLAUSES = 200  # comparisons joined by AND/OR in one filter
MAX_IN_VALUES = 10_000  # values of all IN (...) lists of one filter

_NUMBER_RE = re.compile(r"[+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?")
_INT_RE = re.compile(r"[+-]?[0-9]+")
_ID_RE = re.compile(r"[0-9]+")
_INT64 = 2**63
_SPECIAL_FLOATS = {"nan": math.nan, "infinity": math.inf, "-infinity": -math.inf}


@dataclass(frozen=True)
class _Token:
    kind: str  # "word", "string", "key", "op", "(", ")", ",", "end"
    value: str  # decoded: the word, the string's or key's contents, the operator
    position: int
    raw: str  # the source text of the token
    prefix: str | None = None  # "key" tokens: the type written before the quoted key


def _is_word_char(char: str) -> bool:
    return not char.isspace() and char not in _WORD_STOP


def _tokenize(text: str) -> list[_Token]:
    tokens: list[_Token] = []
    i = 0
    while i < len(text):
        char = text[i]
        if char.isspace():
            i += 1
            continue
        if char in "(),":
            token = _Token(char, char, i, char)
        elif char in "=!<>":
            token = _operator_token(text, i)
        elif char in "'\"":
            value, end = _read_quoted(text, i)
            token = _Token("string", value, i, text[i:end])
        elif char == "`":
            value, end = _read_quoted(text, i)
            token = _Token("key", value, i, text[i:end])
        else:
            token = _word_token(text, i)
        tokens.append(token)
        i = token.position + len(token.raw)
    tokens.append(_Token("end", "", len(text), ""))
    return tokens


def _operator_token(text: str, start: int) -> _Token:
    if text.startswith("==", start):
        raise InvalidFilterError(f"unexpected '==' at position {start}; use '='", text, start)
    for op in _OPERATORS:
        if text.startswith(op, start):
            return _Token("op", "!=" if op == "<>" else op, start, op)
    raise InvalidFilterError(f"unexpected '!' at position {start}; did you mean '!='?", text, start)


def _word_token(text: str, start: int) -> _Token:
    end = start
    while end < len(text) and _is_word_char(text[end]):
        end += 1
    word = text[start:end]
    # `params."a b"`: a type and a dot glued to a quoted key make one identifier.
    if word.endswith(".") and "." not in word[:-1] and end < len(text) and text[end] in '`"':
        value, stop = _read_quoted(text, end)
        return _Token("key", value, start, text[start:stop], prefix=word[:-1])
    return _Token("word", word, start, word)


def _read_quoted(text: str, start: int) -> tuple[str, int]:
    """Decode the quoted text opening at ``start``; return it and the index after it."""
    quote = text[start]
    out: list[str] = []
    i = start + 1
    while i < len(text):
        char = text[i]
        if char == "\\" and i + 1 < len(text):
            following = text[i + 1]
            # Unknown escapes keep their backslash: it is LIKE's escape character too.
            out.append(following if following in _ESCAPABLE else char + following)
            i += 2
        elif char != quote:
            out.append(char)
            i += 1
        elif text.startswith(quote, i + 1):
            out.append(quote)
            i += 2
        else:
            return "".join(out), i + 1
    what = "quoted key" if quote == "`" else "string"
    raise InvalidFilterError(f"unterminated {what} starting at position {start}", text, start)


def _describe(token: _Token) -> str:
    if token.kind == "end":
        return "the end of the input"
    if token.kind == "string":
        return f"a string {token.raw}"
    return repr(token.raw)


# ----------------------------------------------------------------------------- the parser


@dataclass(frozen=True)
class _Identifier:
    kind: str
    key: str
    field: _Field
    position: int
    raw: str


class _Parser:
    def __init__(self, text: str, language: _Language) -> None:
        self.text = text
        self.language = language
        self.tokens = _tokenize(text)
        self.index = 0
        self.depth = 0
        self.comparisons = 0
        self.listed = 0  # values in IN lists so far

    # --- helpers

    def peek(self) -> _Token:
        return self.tokens[self.index]

    def advance(self) -> _Token:
        token = self.tokens[self.index]
        self.index = min(self.index + 1, len(self.tokens) - 1)
        return token

    def peek_keyword(self, *keywords: str) -> bool:
        token = self.peek()
        return token.kind == "word" and token.value.upper() in keywords

    def error(self, head: str, position: int, tail: str = "") -> InvalidFilterError:
        return InvalidFilterError(f"{head} at position {position}{tail}", self.text, position)

    def too_large(self, head: str, token: _Token, tail: str = "") -> InvalidFilterError:
        # Without the pointer under the text: the text is long by definition.
        return InvalidFilterError(f"{head} at position {token.position}{tail}")

    def expected(self, what: str, token: _Token) -> InvalidFilterError:
        return self.error(f"expected {what}", token.position, f", got {_describe(token)}")

    # --- filters

    def parse_filter(self) -> Node:
        node = self.or_expr()
        token = self.peek()
        if token.kind == ")":
            raise self.error("unbalanced ')'", token.position)
        if token.kind != "end":
            raise self.expected("AND, OR or the end of the filter", token)
        return node

    def or_expr(self) -> Node:
        items = [self.and_expr()]
        while self.peek_keyword("OR"):
            self.advance()
            items.append(self.and_expr())
        return _group(Or, items)

    def and_expr(self) -> Node:
        items = [self.unary()]
        while self.peek_keyword("AND"):
            self.advance()
            items.append(self.unary())
        return _group(And, items)

    def unary(self) -> Node:
        if self.peek().kind != "(":
            return self.comparison()
        opening = self.advance()
        if self.depth == _MAX_DEPTH:
            raise self.error(f"parentheses nested deeper than {_MAX_DEPTH}", opening.position)
        self.depth += 1
        node = self.or_expr()
        self.depth -= 1
        closing = self.advance()
        if closing.kind != ")":
            raise self.error(
                "expected ')'",
                closing.position,
                f" to close the '(' at position {opening.position}, got {_describe(closing)}",
            )
        return node

    def comparison(self) -> Comparison:
        self.comparisons += 1
        if self.comparisons > MAX_FILTER_CLAUSES:
            raise self.too_large(
                f"filter: more than {MAX_FILTER_CLAUSES} comparisons (the limit per filter)",
                self.peek(),
                "; put many values of one key in an IN (...) list, or search in parts",
            )
        ident = self.identifier()
        op_token = self.peek()
        op = self.operator(ident)
        if op not in ident.field.ops:
            allowed = ", ".join(ident.field.ops)
            raise self.error(
                f"{op} does not apply to {ident.raw}",
                op_token.position,
                f": {ident.field.noun} take {allowed}",
            )
        return Comparison(ident.kind, ident.key, op, self.operand(ident, op), ident.position)

    def operator(self, ident: _Identifier) -> str:
        token = self.advance()
        if token.kind == "op":
            return token.value
        word = token.value.upper() if token.kind == "word" else ""
        if word in ("LIKE", "ILIKE", "IN"):
            return word
        if word == "NOT":
            if not self.peek_keyword("IN"):
                raise self.expected("IN after NOT", self.peek())
            self.advance()
            return "NOT IN"
        if word == "IS":
            negated = self.peek_keyword("NOT")
            if negated:
                self.advance()
            if not self.peek_keyword("NULL"):
                raise self.expected("NULL or NOT NULL after IS", self.peek())
            self.advance()
            return "IS NOT NULL" if negated else "IS NULL"
        raise self.expected(f"a comparison operator after {ident.raw!r}", token)

    def operand(self, ident: _Identifier, op: str) -> object:
        if op in ("IS NULL", "IS NOT NULL"):
            return None
        if op not in ("IN", "NOT IN"):
            return self.literal(ident, like=op in ("LIKE", "ILIKE"))
        opening = self.advance()
        if opening.kind != "(":
            raise self.expected(f"'(' to open the list of values after {op}", opening)
        values = [self.listed_value(ident, opening)]
        while self.peek().kind == ",":
            values.append(self.listed_value(ident, self.advance()))
        closing = self.advance()
        if closing.kind != ")":
            raise self.error(
                "expected ',' or ')'",
                closing.position,
                f" in the list opened at position {opening.position}, got {_describe(closing)}",
            )
        return tuple(values)

    def listed_value(self, ident: _Identifier, before: _Token) -> str | int | float:
        """One value of an IN list (``before`` is the '(' or ',' ahead of it)."""
        self.listed += 1
        if self.listed > MAX_IN_VALUES:
            raise self.too_large(
                f"filter: more than {MAX_IN_VALUES} values in IN lists (the limit per filter)",
                before,
            )
        return self.literal(ident)

    def literal(self, ident: _Identifier, like: bool = False) -> str | int | float:
        token = self.advance()
        values = ident.field.values
        if values == "string":
            if token.kind != "string":
                raise self.expected(f"a quoted string for {ident.raw}", token)
            if like and _ends_with_escape(token.value):
                raise self.error(
                    "the LIKE pattern ends with a lone escape character",
                    token.position,
                    "; in LIKE patterns a backslash escapes %, _ and itself",
                )
            return token.value
        if values == "id":
            if token.kind == "string" or (token.kind == "word" and _ID_RE.fullmatch(token.value)):
                return token.value
            raise self.expected(f"an experiment id (a string or an integer) for {ident.raw}", token)
        return self.number(ident, token)

    def number(self, ident: _Identifier, token: _Token) -> int | float:
        metric = ident.field.values == "metric"
        if token.kind == "word":
            if _NUMBER_RE.fullmatch(token.value):
                value = _to_number(token.value)
                if metric or not math.isinf(value):
                    return value
                raise self.error(f"{token.value} is out of range for {ident.raw}", token.position)
            special = _SPECIAL_FLOATS.get(token.value.lower())
            if special is not None and metric:
                return special
            if special is not None:
                raise self.expected(
                    f"a number for {ident.raw} (NaN and Infinity apply to metrics only)", token
                )
        raise self.expected(f"a number for {ident.raw}", token)

    # --- identifiers

    def identifier(self) -> _Identifier:
        token = self.advance()
        if token.kind == "key":
            if token.prefix is None:
                return self.resolve("attribute", token.value, token)
            return self.resolve(self.kind_of(token.prefix, token), token.value, token)
        if token.kind != "word" or token.value.upper() in _KEYWORDS:
            raise self.expected("an identifier such as metrics.loss or params.lr", token)
        prefix, dot, key = token.value.partition(".")
        if not dot:
            return self.resolve("attribute", prefix, token)
        return self.resolve(self.kind_of(prefix, token), key, token)

    def kind_of(self, prefix: str, token: _Token) -> str:
        kind = _KIND_ALIASES.get(prefix.lower())
        if kind is None:
            raise self.error(
                f"unknown identifier type {prefix!r} in {token.raw!r}",
                token.position,
                f"; expected {_one_of(_PLURAL[kind] for kind in self.language.kinds())}",
            )
        return kind

    def resolve(self, kind: str, key: str, token: _Token) -> _Identifier:
        if not key:
            raise self.error(f"empty key in {token.raw!r}", token.position)
        language = self.language
        if kind in language.open_kinds:
            return _Identifier(kind, key, language.open_kinds[kind], token.position, token.raw)
        if kind not in language.closed_kinds:
            raise self.error(
                f"{_PLURAL[kind]} cannot be used in {language.where}",
                token.position,
                f"; use {_one_of(_PLURAL[kind] for kind in language.kinds())}",
            )
        fields = language.closed_kinds[kind]
        key = language.aliases.get(key, key) if kind == "attribute" else key
        if key not in fields:
            noun = _CLOSED_NOUN[kind]
            raise self.error(
                f"unknown {noun} {key!r}",
                token.position,
                f"; valid {noun}s: {', '.join(sorted(fields))}",
            )
        return _Identifier(kind, key, fields[key], token.position, token.raw)

    # --- order by

    def parse_order_key(self) -> OrderKey:
        ident = self.identifier()
        ascending = True
        if self.peek_keyword("ASC", "DESC"):
            ascending = self.advance().value.upper() == "ASC"
        token = self.peek()
        if token.kind != "end":
            raise self.expected(f"ASC, DESC or the end of the clause after {ident.raw!r}", token)
        return OrderKey(ident.kind, ident.key, ascending)


def _group(cls: type[And] | type[Or], items: list[Node]) -> Node:
    """One item stands alone; ``(a AND b) AND c`` flattens to ``And(a, b, c)``."""
    if len(items) == 1:
        return items[0]
    flat: list[Node] = []
    for item in items:
        flat.extend(item.items if isinstance(item, cls) else (item,))
    return cls(tuple(flat))


def _one_of(names: Iterable[str]) -> str:
    *rest, last = names
    return f"{', '.join(rest)} or {last}" if rest else last


def _to_number(text: str) -> int | float:
    # Integers past int64 become floats: no database column takes them as integers.
    if _INT_RE.fullmatch(text) and len(text) <= 20 and -_INT64 <= int(text) < _INT64:
        return int(text)
    return float(text)


def _ends_with_escape(pattern: str) -> bool:
    return (len(pattern) - len(pattern.rstrip("\\"))) % 2 == 1


# ----------------------------------------------------------------------------- public API


def _parse_filter(text: str | None, language: _Language) -> Node | None:
    if text is None or not text.strip():
        return None
    return _Parser(text, language).parse_filter()


def _parse_order_by(clauses: Sequence[str] | None, language: _Language) -> list[OrderKey]:
    return [_Parser(clause, language).parse_order_key() for clause in clauses or ()]


def parse_run_filter(text: str | None) -> Node | None:
    """Parse a run search filter; ``None`` when the text is empty."""
    return _parse_filter(text, _RUN_FILTER)


def parse_order_by(clauses: Sequence[str] | None) -> list[OrderKey]:
    """Parse run ``order_by`` clauses such as ``metrics.loss DESC``."""
    return _parse_order_by(clauses, _RUN_ORDER)


def parse_experiment_filter(text: str | None) -> Node | None:
    """Parse an experiment search filter: attributes and ``tags.<key>``."""
    return _parse_filter(text, _EXPERIMENT_FILTER)


def parse_experiment_order_by(clauses: Sequence[str] | None) -> list[OrderKey]:
    """Parse experiment ``order_by`` clauses: name, experiment_id, creation/update time."""
    return _parse_order_by(clauses, _EXPERIMENT_ORDER)


def parse_registered_model_filter(text: str | None) -> Node | None:
    """Parse a registered model filter: ``name``, the timestamps and ``tags.<key>``."""
    return _parse_filter(text, _REGISTERED_MODEL_FILTER)


def parse_registered_model_order_by(clauses: Sequence[str] | None) -> list[OrderKey]:
    """Parse registered model ``order_by`` clauses: name and the timestamps."""
    return _parse_order_by(clauses, _REGISTERED_MODEL_ORDER)


def parse_model_version_filter(text: str | None) -> Node | None:
    """Parse a model version filter: ``name``, ``version_number``, ``run_id``,
    ``source_path``, ``current_stage``, ``user_id``, the timestamps and ``tags.<key>``."""
    return _parse_filter(text, _MODEL_VERSION_FILTER)


def parse_model_version_order_by(clauses: Sequence[str] | None) -> list[OrderKey]:
    """Parse model version ``order_by`` clauses: name, version_number and the timestamps."""
    return _parse_order_by(clauses, _MODEL_VERSION_ORDER)


# ----------------------------------------------------------------------------- rendering


def render(node: Node) -> str:
    """Filter text that parses back to ``node`` (positions aside)."""
    if isinstance(node, Comparison):
        return _render_comparison(node)
    joiner = " AND " if isinstance(node, And) else " OR "
    return joiner.join(_render_item(item, node) for item in node.items)


def render_order_key(key: OrderKey) -> str:
    """An ``order_by`` clause that parses back to ``key``."""
    return f"{_render_identifier(key.kind, key.key)} {'ASC' if key.ascending else 'DESC'}"


def _render_item(item: Node, parent: And | Or) -> str:
    # AND binds tighter than OR: only OR inside AND, or a group inside its own kind, needs them.
    bracket = isinstance(item, Or) or (isinstance(item, And) and isinstance(parent, And))
    return f"({render(item)})" if bracket else render(item)


def _render_comparison(node: Comparison) -> str:
    ident = _render_identifier(node.kind, node.key)
    if node.value is None:
        return f"{ident} {node.op}"
    if isinstance(node.value, tuple):
        return f"{ident} {node.op} ({', '.join(_render_value(v) for v in node.value)})"
    return f"{ident} {node.op} {_render_value(node.value)}"


def _render_identifier(kind: str, key: str) -> str:
    if kind == "attribute":
        return key
    if key and all(_is_word_char(char) for char in key):
        return f"{_PLURAL[kind]}.{key}"
    return f"{_PLURAL[kind]}.{_quote(key, '`')}"


def _render_value(value: object) -> str:
    if isinstance(value, str):
        return _quote(value, "'")
    if isinstance(value, float):
        if math.isnan(value):
            return "NaN"
        if math.isinf(value):
            return "Infinity" if value > 0 else "-Infinity"
    return repr(value)


def _quote(text: str, quote: str) -> str:
    return quote + text.replace("\\", "\\\\").replace(quote, quote * 2) + quote
