"""The ARM template expression language: tokenizer, parser and evaluator.

A JSON string is an expression when it is enclosed in brackets (``"[concat('a', 'b')]"``);
a leading ``[[`` escapes a literal bracket. Inside: function calls, string literals in
single quotes (``''`` is a quote), integers, member access ``.name`` and indexing ``[i]``.
Whitespace, line breaks included, is free between tokens.

The evaluator knows nothing about templates: it asks its *context* (parameters,
variables, copy indices, the deployment) through the functions of
:mod:`netwarden.ingest.arm.functions`. What cannot be known offline evaluates to an
:class:`~netwarden.ingest.arm.values.Unresolved`; an expression that is wrong (a bad
argument, an index out of range) does too, with the reason.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from typing import Any

from netwarden.ingest.arm.values import OPAQUE, RefDict, RefList, Unresolved, kind_of, placeholder


class ExpressionSyntaxError(ValueError):
    def __init__(self, message: str, column: int) -> None:
        super().__init__(f"column {column}: {message}")
        self.column = column


class ArmError(Exception):
    """An expression that is well-formed but cannot be evaluated (bad argument, unknown
    function, index out of range): the value becomes unresolved, with this reason."""


# -- syntax tree -----------------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class Literal:
    value: Any
    source: str


@dataclass(frozen=True, slots=True)
class Call:
    name: str
    args: tuple[Expr, ...]
    source: str


@dataclass(frozen=True, slots=True)
class Member:
    target: Expr
    name: str
    source: str
    safe: bool = False          # .?name


@dataclass(frozen=True, slots=True)
class Index:
    target: Expr
    index: Expr
    source: str
    safe: bool = False          # [?i]


Expr = Literal | Call | Member | Index


# -- tokens ----------------------------------------------------------------------------------

_TOKEN = re.compile(r"""
    (?P<space>\s+)
  | (?P<string>'(?:[^']|'')*')
  | (?P<number>-?\d+(?:\.\d+)?)
  | (?P<name>[A-Za-z_$][A-Za-z0-9_$]*(?:\.[A-Za-z_$][A-Za-z0-9_$]*)*(?=\s*\())
  | (?P<ident>[A-Za-z_$][A-Za-z0-9_$]*)
  | (?P<punct>[(),.\[\]?])
""", re.VERBOSE)


@dataclass(frozen=True, slots=True)
class _Token:
    kind: str          # string, number, name, ident, punct, end
    text: str
    start: int
    end: int


def _tokens(text: str) -> list[_Token]:
    found: list[_Token] = []
    at = 0
    while at < len(text):
        match = _TOKEN.match(text, at)
        if match is None:
            if text[at] == "'":
                raise ExpressionSyntaxError("unterminated string literal", at + 2)
            raise ExpressionSyntaxError(f"unexpected character {text[at]!r}", at + 2)
        kind = match.lastgroup or ""
        if kind != "space":
            found.append(_Token(kind, match.group(0), at, match.end()))
        at = match.end()
    found.append(_Token("end", "", len(text), len(text)))
    return found


class _Parser:
    """Recursive descent over the tokens. Columns in messages count from the opening
    bracket of the JSON string (column 1), as an editor shows them."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.tokens = _tokens(text)
        self.at = 0

    def peek(self, offset: int = 0) -> _Token:
        return self.tokens[min(self.at + offset, len(self.tokens) - 1)]

    def take(self) -> _Token:
        token = self.tokens[self.at]
        self.at = min(self.at + 1, len(self.tokens) - 1)
        return token

    def expect(self, text: str) -> _Token:
        token = self.peek()
        if token.text != text or token.kind == "string":
            raise self.error(token, f"expected {text!r}")
        return self.take()

    def error(self, token: _Token, message: str) -> ExpressionSyntaxError:
        found = "the end of the expression" if token.kind == "end" else repr(token.text)
        return ExpressionSyntaxError(f"{message}, found {found}", token.start + 2)

    def parse(self) -> Expr:
        if self.peek().kind == "end":
            raise ExpressionSyntaxError("empty expression", 2)
        expr = self.expression()
        if self.peek().kind != "end":
            raise self.error(self.peek(), "expected the end of the expression")
        return expr

    def expression(self) -> Expr:
        token = self.peek()
        start = token.start
        expr: Expr
        if token.kind == "string":
            self.take()
            expr = Literal(token.text[1:-1].replace("''", "'"), token.text)
        elif token.kind == "number":
            self.take()
            value: Any = float(token.text) if "." in token.text else int(token.text)
            expr = Literal(value, token.text)
        elif token.kind == "name":
            self.take()
            self.expect("(")
            args: list[Expr] = []
            if self.peek().text != ")" or self.peek().kind == "string":
                args.append(self.expression())
                while self.peek().text == "," and self.peek().kind == "punct":
                    self.take()
                    args.append(self.expression())
            self.expect(")")
            expr = Call(token.text, tuple(args), self.text[start:self.tokens[self.at - 1].end])
        elif token.kind == "ident":
            raise self.error(token, "expected a function call (a name needs '(...)')")
        else:
            raise self.error(token, "expected a function call, a string or a number")
        while True:
            token = self.peek()
            if token.kind != "punct":
                return expr
            if token.text == ".":
                self.take()
                safe = False
                if self.peek().text == "?" and self.peek().kind == "punct":
                    self.take()
                    safe = True
                name = self.take()
                if name.kind not in ("ident", "name") or "." in name.text:
                    raise self.error(name, "expected a property name after '.'")
                expr = Member(expr, name.text, self.text[start:name.end], safe)
            elif token.text == "[":
                self.take()
                safe = False
                if self.peek().text == "?" and self.peek().kind == "punct":
                    self.take()
                    safe = True
                index = self.expression()
                close = self.expect("]")
                expr = Index(expr, index, self.text[start:close.end], safe)
            else:
                return expr


@functools.lru_cache(maxsize=8192)
def parse(text: str) -> Expr:
    """Parse the inside of an expression (without the enclosing brackets).
    Raises ExpressionSyntaxError."""
    return _Parser(text).parse()


def is_expression(text: str) -> bool:
    return len(text) >= 2 and text[0] == "[" and text[-1] == "]" and not text.startswith("[[")


def literal(text: str) -> str:
    """A string that is not an expression, with a leading ``[[`` unescaped."""
    return text[1:] if text.startswith("[[") else text


# -- evaluation ------------------------------------------------------------------------------

def evaluate(expr: Expr, ctx: Any) -> Any:
    """The value of a parsed expression in a context (see functions.Context)."""
    from netwarden.ingest.arm.functions import call

    if isinstance(expr, Literal):
        return expr.value
    if isinstance(expr, Call):
        return call(expr, ctx)
    target = evaluate(expr.target, ctx)
    if isinstance(target, Unresolved):
        return Unresolved(target.reason, placeholder(expr.source), OPAQUE)
    if isinstance(expr, Member):
        return member(target, expr.name, expr.safe)
    index = evaluate(expr.index, ctx)
    if isinstance(index, Unresolved):
        return Unresolved(index.reason, placeholder(expr.source), OPAQUE)
    return item(target, index, expr.safe)


def member(target: Any, name: str, safe: bool = False) -> Any:
    if isinstance(target, RefDict):
        return target.member(name)
    if isinstance(target, dict):
        if name in target:
            return target[name]
        for key, value in target.items():
            if key.lower() == name.lower():
                return value
        if safe:
            return None
        raise ArmError(f"the object has no property '{name}' "
                       f"(it has {', '.join(sorted(target)) or 'none'})")
    if target is None and safe:
        return None
    raise ArmError(f"cannot read property '{name}' of {kind_of(target)}")


def item(target: Any, index: Any, safe: bool = False) -> Any:
    if isinstance(target, list):
        if isinstance(index, bool) or not isinstance(index, int):
            if isinstance(index, str) and index.lstrip("-").isdigit():
                index = int(index)
            else:
                raise ArmError(f"an array index must be an integer, not {kind_of(index)}")
        if isinstance(target, RefList):
            return target.item(index)
        if 0 <= index < len(target):
            return target[index]
        if safe:
            return None
        raise ArmError(f"index {index} is out of range (the array has {len(target)} elements)")
    if isinstance(target, dict) and isinstance(index, str):
        return member(target, index, safe)
    if target is None and safe:
        return None
    raise ArmError(f"cannot index {kind_of(target)} with {kind_of(index)}")
