"""Reading query text: a tokenizer and a recursive-descent parser.

One method of :class:`Parser` per rule of the grammar drawn in the package
docstring. The parser resolves names and hands literals to :mod:`.check`
as it goes, so what it returns is already checked.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import NamedTuple

from ..errors import PermissionDenied, UnsupportedQuery
from ..schema import ColumnSchema, TableSchema
from .check import Literal, compare, truth
from .tree import COMPARISONS, Constant, IsNull, Junction, Node, Not

__all__ = ["MAX_DEPTH", "SHAPE", "parse"]

SHAPE = "only SELECT * FROM <table> [WHERE ...] is supported"
# How deep NOT and parentheses may nest; real queries stay far below.
MAX_DEPTH = 32

# Words that end or extend a query in ways the subset does not support,
# with the name a message uses for them.
_JOINS = ("JOIN", "INNER", "LEFT", "RIGHT", "FULL", "CROSS", "NATURAL")
_CLAUSES = {
    **dict.fromkeys(_JOINS, "a join"),
    **{word: word for word in ("HAVING", "LIMIT", "OFFSET", "UNION", "EXCEPT")},
    "INTERSECT": "INTERSECT",
    "ORDER": "ORDER BY",
    "GROUP": "GROUP BY",
}
_PREDICATES = frozenset(("LIKE", "ILIKE", "IN", "BETWEEN", "SIMILAR", "GLOB"))
_ARITHMETIC = frozenset(("+", "-", "*", "/", "%", "||"))
# Words that cannot name a table or column unless "quoted".
_KEYWORDS = frozenset(
    ("SELECT", "FROM", "WHERE", "AND", "OR", "NOT", "IS", "NULL", "TRUE", "FALSE")
).union(("AS", "DISTINCT"), _CLAUSES, _PREDICATES)


_TOKEN = re.compile(
    r"""
      (?P<space>\s+)
    | (?P<comment>--|/\*)
    | (?P<hex>0[xX][0-9a-fA-F]+)
    | (?P<number>(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?)
    | (?P<string>'(?:[^']|'')*')
    | (?P<name>"(?:[^"]|"")+")
    | (?P<word>[A-Za-z_][A-Za-z0-9_]*)
    | (?P<op><>|!=|<=|>=|=|<|>|\+|-|/|%|\|\|)
    | (?P<punct>[(),;*.])
    """,
    re.VERBOSE,
)


class _Token(NamedTuple):
    """One piece of query text: its kind, its text and where it starts."""

    kind: str
    text: str
    pos: int

    def is_word(self, *words: str) -> bool:
        """True if this is an unquoted word, compared case-insensitively."""
        return self.kind == "word" and self.text.upper() in words

    def is_keyword(self) -> bool:
        """True if this is a reserved word, which cannot name anything."""
        return self.kind == "word" and self.text.upper() in _KEYWORDS

    def describe(self) -> str:
        """The token as a message shows it."""
        if self.kind == "end":
            return "the end of the query"
        return repr(self.text) if self.kind != "word" else self.text


def _tokenize(sql: str) -> list[_Token]:
    """Split the query into tokens, refusing characters SQL would not take."""
    tokens, pos = [], 0
    while pos < len(sql):
        found = _TOKEN.match(sql, pos)
        if found is None:
            raise UnsupportedQuery(_bad_character(sql, pos))
        kind = found.lastgroup or ""
        if kind == "comment":
            raise UnsupportedQuery("comments are not supported in a query")
        if kind != "space":
            tokens.append(_Token(kind, found.group(), pos))
        pos = found.end()
    tokens.append(_Token("end", "", len(sql)))
    return tokens


def _bad_character(sql: str, pos: int) -> str:
    """Say why the text at ``pos`` is not a token."""
    char = sql[pos]
    if char == "'":
        return f"unterminated string starting at position {pos}"
    if char == '"':
        return f"unterminated or empty quoted name at position {pos}"
    return f"unexpected character {char!r} at position {pos}"


def parse(
    sql: str, tables: Mapping[str, TableSchema], can_see_private: bool
) -> tuple[TableSchema, Node | None]:
    """The table a query reads and its checked WHERE clause, if any."""
    return _Parser(_tokenize(sql), tables, can_see_private).query()


class _Parser:
    """Recursive descent over the tokens, one method per grammar rule."""

    def __init__(
        self,
        tokens: list[_Token],
        tables: Mapping[str, TableSchema],
        can_see_private: bool,
    ) -> None:
        self.tokens = tokens
        self.at = 0
        self.tables = tables
        self.can_see_private = can_see_private
        self.schema: TableSchema | None = None
        self.names: set[str] = set()
        self.depth = 0

    def query(self) -> tuple[TableSchema, Node | None]:
        """``SELECT * FROM table [WHERE expr] [;]`` and nothing after."""
        star_owner = self.select_star()
        self.schema = self.from_table()
        if star_owner is not None and star_owner not in self.names:
            raise UnsupportedQuery(
                f"{star_owner!r} in SELECT {star_owner}.* does not name "
                f"the table {self.schema.name!r}"
            )
        where = self.expr() if self.accept("WHERE") else None
        self.finish()
        return self.schema, where

    def select_star(self) -> str | None:
        """``SELECT *`` or ``SELECT t.*``; return the ``t`` if given."""
        first = self.next()
        if first.kind == "end":
            raise UnsupportedQuery(f"the query is empty; {SHAPE}")
        if not first.is_word("SELECT"):
            raise UnsupportedQuery(f"{SHAPE}; got {first.describe()}")
        owner = None
        if self.peek(1).text == "." and self.peek().kind in ("word", "name"):
            owner = self.identifier(self.next())
            self.next()
        if self.next().text != "*" or self.peek().text == ",":
            raise UnsupportedQuery(f"{SHAPE}; got a column list")
        return owner

    def from_table(self) -> TableSchema:
        """``FROM table [[AS] alias]``, checked against what the asker sees."""
        if not self.accept("FROM"):
            raise UnsupportedQuery(f"expected FROM after SELECT *; {SHAPE}")
        token = self.next()
        if token.text == "(":
            raise UnsupportedQuery(f"{SHAPE}; got a subquery")
        if token.kind not in ("word", "name") or token.is_keyword():
            raise UnsupportedQuery(f"expected a table name, got {token.describe()}")
        schema = self.find_table(token)
        self.names = {schema.name, self.identifier(token)}
        if self.accept("AS") or self.peek().kind == "name" or self.plain_word():
            self.names.add(self.identifier(self.next()))
        return schema

    def finish(self) -> None:
        """Allow one trailing semicolon, then refuse anything left over."""
        token = self.next()
        if token.text == ";":
            token = self.next()
            if token.kind != "end":
                raise UnsupportedQuery(f"{SHAPE}; got more than one statement")
        if token.kind == "end":
            return
        if token.text == ",":
            raise UnsupportedQuery(f"{SHAPE}; got a join")
        if token.kind == "word" and token.text.upper() in _CLAUSES:
            raise UnsupportedQuery(f"{SHAPE}; got {_CLAUSES[token.text.upper()]}")
        raise UnsupportedQuery(f"unexpected {token.describe()} at position {token.pos}")

    # The WHERE clause, loosest binding first.

    def expr(self) -> Node:
        """Conjuncts joined by OR."""
        parts = [self.conjunct()]
        while self.accept("OR"):
            parts.append(self.conjunct())
        return parts[0] if len(parts) == 1 else Junction("OR", tuple(parts))

    def conjunct(self) -> Node:
        """Negations joined by AND."""
        parts = [self.negation()]
        while self.accept("AND"):
            parts.append(self.negation())
        return parts[0] if len(parts) == 1 else Junction("AND", tuple(parts))

    def negation(self) -> Node:
        """``NOT`` any number of times, a parenthesised expr, or a predicate."""
        if self.peek().text != "(" and not self.peek().is_word("NOT"):
            return self.predicate()
        # Queries come from the network: bound the recursion they can cause.
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise UnsupportedQuery(
                f"the query nests NOT and parentheses more than {MAX_DEPTH} deep"
            )
        if self.accept("NOT"):
            inner: Node = Not(self.negation())
        else:
            inner = self.parenthesised()
        self.depth -= 1
        return inner

    def parenthesised(self) -> Node:
        """``( expr )``, refusing a subquery."""
        self.expect("(")
        if self.peek().is_word("SELECT"):
            raise UnsupportedQuery(f"{SHAPE}; got a subquery")
        inner = self.expr()
        self.expect(")")
        return inner

    def predicate(self) -> Node:
        """A comparison, an IS [NOT] NULL test, or a bool standing alone."""
        left = self.operand()
        token = self.peek()
        if token.is_word("IS"):
            return self.is_null(left)
        if token.kind == "op":
            return self.comparison(left)
        self.refuse_extension(token)
        if isinstance(left, ColumnSchema):
            return truth(left)
        if left.kind == "bool":
            return Constant(bool(left.value))
        raise UnsupportedQuery(
            f"{left.describe()} is not a condition; compare a column with it"
        )

    def comparison(self, left: ColumnSchema | Literal) -> Node:
        """``operand op operand``, refusing arithmetic."""
        token = self.next()
        op = "!=" if token.text == "<>" else token.text
        if op not in COMPARISONS:
            raise UnsupportedQuery(
                f"arithmetic ({token.text}) is not supported; "
                "compare a column with a value using =, !=, <, >, <= or >="
            )
        right = self.operand()
        if self.peek().text in _ARITHMETIC:
            raise UnsupportedQuery(f"arithmetic ({self.peek().text}) is not supported")
        return compare(left, op, right)

    def is_null(self, left: ColumnSchema | Literal) -> Node:
        """``column IS [NOT] NULL``."""
        self.next()
        negated = self.accept("NOT")
        if not self.accept("NULL"):
            raise UnsupportedQuery("IS must be followed by NULL or NOT NULL")
        if not isinstance(left, ColumnSchema):
            raise UnsupportedQuery("IS [NOT] NULL needs a column on its left")
        return IsNull(left, negated)

    def operand(self) -> ColumnSchema | Literal:
        """A column (maybe qualified) or a literal."""
        token = self.next()
        if token.kind in ("word", "name") and not token.is_keyword():
            if self.peek().text == "(":
                raise UnsupportedQuery(
                    f"function calls ({token.text}(...)) are not supported"
                )
            return self.column(token)
        return _literal(token, self)

    def column(self, token: _Token) -> ColumnSchema:
        """Resolve ``name`` or ``table.name`` to a column of the table."""
        assert self.schema is not None
        name = self.identifier(token)
        if self.peek().text == ".":
            if name not in self.names:
                raise UnsupportedQuery(
                    f"{name!r} does not name the table {self.schema.name!r}"
                )
            self.next()
            token = self.next()
            name = self.identifier(token)
        return _find_column(self.schema, token, name)

    def refuse_extension(self, token: _Token) -> None:
        """Name LIKE, IN, BETWEEN and friends when they follow an operand."""
        if token.is_word(*_PREDICATES):
            raise UnsupportedQuery(
                f"{token.text.upper()} is not supported; "
                "use =, !=, <, >, <=, >=, IS NULL, AND, OR and NOT"
            )

    # Lookups.

    def find_table(self, token: _Token) -> TableSchema:
        """The table a FROM names, if it exists and the asker may see it."""
        name = self.identifier(token)
        schema = self.tables.get(name)
        if schema is None and token.kind == "word":
            schema = self.tables.get(name.lower())
        visible = sorted(
            t.name for t in self.tables.values() if t.public or self.can_see_private
        )
        if schema is None:
            listed = ", ".join(visible) or "none"
            raise UnsupportedQuery(
                f"no table named {name!r}; tables you can subscribe to: {listed}"
            )
        if not schema.public and not self.can_see_private:
            raise PermissionDenied(
                f"table {schema.name!r} is private: only the database owner "
                "can subscribe to it"
            )
        return schema

    def identifier(self, token: _Token) -> str:
        """A name as written: quoted names keep their case and quotes go."""
        if token.kind == "name":
            return token.text[1:-1].replace('""', '"')
        if token.kind != "word" or token.is_keyword():
            raise UnsupportedQuery(f"expected a name, got {token.describe()}")
        return token.text

    # Token stream.

    def peek(self, ahead: int = 0) -> _Token:
        """The token ``ahead`` places on, without taking it."""
        return self.tokens[min(self.at + ahead, len(self.tokens) - 1)]

    def next(self) -> _Token:
        """Take the next token (the end token repeats forever)."""
        token = self.peek()
        self.at = min(self.at + 1, len(self.tokens) - 1)
        return token

    def accept(self, word: str) -> bool:
        """Take the next token if it is this keyword."""
        if self.peek().is_word(word):
            self.next()
            return True
        return False

    def expect(self, text: str) -> None:
        """Take the next token, which must be exactly ``text``."""
        token = self.next()
        if token.text != text:
            raise UnsupportedQuery(
                f"expected {text!r} at position {token.pos}, got {token.describe()}"
            )

    def plain_word(self) -> bool:
        """True if the next token is a word that is not a keyword."""
        token = self.peek()
        return token.kind == "word" and not token.is_keyword()


def _find_column(schema: TableSchema, token: _Token, name: str) -> ColumnSchema:
    """The named column; unquoted names also match in lowercase."""
    for candidate in (name, name.lower()) if token.kind == "word" else (name,):
        try:
            return schema.column(candidate)
        except KeyError:
            continue
    columns = ", ".join(schema.column_names)
    raise UnsupportedQuery(
        f"table {schema.name!r} has no column {name!r}; its columns are: {columns}"
    )


def _literal(token: _Token, parser: _Parser) -> Literal:
    """Read a literal token (and a leading minus sign for numbers)."""
    if token.text == "-" and parser.peek().kind == "number":
        number = parser.next()
        return _number("-" + number.text)
    if token.kind == "number":
        return _number(token.text)
    if token.kind == "string":
        return Literal("string", token.text[1:-1].replace("''", "'"), token.text)
    if token.kind == "hex":
        return Literal("hex", token.text[2:].lower(), token.text)
    if token.is_word("TRUE", "FALSE"):
        return Literal("bool", token.is_word("TRUE"), token.text)
    if token.is_word("NULL"):
        return Literal("null", None, token.text)
    if token.text == "(" and parser.peek().is_word("SELECT"):
        raise UnsupportedQuery(f"{SHAPE}; got a subquery")
    raise UnsupportedQuery(
        f"expected a column or a value at position {token.pos}, got {token.describe()}"
    )


def _number(text: str) -> Literal:
    """An int literal, or a float one if it has a point or an exponent."""
    if any(c in text for c in ".eE"):
        return Literal("float", float(text), text)
    try:
        return Literal("int", int(text), text)
    except ValueError:  # Python refuses to read ints of over 4300 digits
        raise UnsupportedQuery(f"the number {text[:20]}... is too long") from None
