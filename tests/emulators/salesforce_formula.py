"""A tiny Salesforce formula evaluator for validation rules.

Enough for what a configuration compiler generates (required-at-stage rules such as
`AND(ISPICKVAL(StageName, "Negotiation/Review"), ISBLANK(Amount))`): AND/OR/NOT, ISPICKVAL,
ISBLANK/ISNULL, TEXT, BLANKVALUE, && || ! and comparisons, string/number/boolean literals, and
field references. Parse errors use the wording of Salesforce's formula editor.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any


class FormulaError(Exception):
    pass


_TOKEN = re.compile(
    r"""\s*(?:(?P<str>"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*')|(?P<num>\d+(?:\.\d+)?)
    |(?P<op>&&|\|\||==|!=|<>|<=|>=|[=<>!+\-*/&(),])|(?P<name>[A-Za-z_$][\w.$]*))""",
    re.X,
)
_FUNCS = {"AND", "OR", "NOT", "ISPICKVAL", "ISBLANK", "ISNULL", "TEXT", "BLANKVALUE", "ISNEW", "ISCHANGED"}

Node = tuple[Any, ...]


def _tokens(formula: str) -> list[tuple[str, str]]:
    out, pos, text = [], 0, formula.strip()
    while pos < len(text):
        m = _TOKEN.match(text, pos)
        if not m or m.end() == pos:
            raise FormulaError(f"Syntax error. Found '{text[pos]}'")
        kind = m.lastgroup or ""
        out.append((kind, m.group(kind)))
        pos = m.end()
    return out


class _Parser:
    def __init__(self, formula: str, has_field: Callable[[str], bool]) -> None:
        self.toks = _tokens(formula)
        self.i = 0
        self.has_field = has_field

    def peek(self) -> str | None:
        return self.toks[self.i][1] if self.i < len(self.toks) else None

    def take(self) -> tuple[str, str]:
        if self.i >= len(self.toks):
            raise FormulaError("Syntax error. Missing ')'")
        self.i += 1
        return self.toks[self.i - 1]

    def parse(self) -> Node:
        if not self.toks:
            raise FormulaError("Syntax error. Formula is empty")
        node = self.or_()
        if self.peek() is not None:
            raise FormulaError(f"Syntax error. Extra '{self.peek()}'")
        return node

    def or_(self) -> Node:
        node = self.and_()
        while self.peek() == "||":
            self.take()
            node = ("OR", node, self.and_())
        return node

    def and_(self) -> Node:
        node = self.cmp()
        while self.peek() in ("&&", "&"):
            op = self.take()[1]
            node = ("AND", node, self.cmp()) if op == "&&" else ("CONCAT", node, self.cmp())
        return node

    def cmp(self) -> Node:
        node = self.add()
        while self.peek() in ("=", "==", "!=", "<>", "<", ">", "<=", ">="):
            op = self.take()[1]
            node = ("CMP", {"==": "=", "<>": "!="}.get(op, op), node, self.add())
        return node

    def add(self) -> Node:
        node = self.unary()
        while self.peek() in ("+", "-", "*", "/"):
            node = ("ARITH", self.take()[1], node, self.unary())
        return node

    def unary(self) -> Node:
        if self.peek() == "!":
            self.take()
            return ("NOT", self.unary())
        return self.atom()

    def atom(self) -> Node:
        kind, text = self.take()
        if kind == "str":
            return ("LIT", re.sub(r"\\(.)", r"\1", text[1:-1]))
        if kind == "num":
            return ("LIT", float(text))
        if text == "(":
            node = self.or_()
            if self.take()[1] != ")":
                raise FormulaError("Syntax error. Missing ')'")
            return node
        if kind != "name":
            raise FormulaError(f"Syntax error. Found '{text}'")
        upper = text.upper()
        if self.peek() == "(":
            if upper not in _FUNCS:
                raise FormulaError(f"Unknown function {text}. Check spelling.")
            self.take()
            args: list[Node] = []
            if self.peek() != ")":
                args.append(self.or_())
                while self.peek() == ",":
                    self.take()
                    args.append(self.or_())
            if self.take()[1] != ")":
                raise FormulaError("Syntax error. Missing ')'")
            return ("FN", upper, args)
        if upper in ("TRUE", "FALSE"):
            return ("LIT", upper == "TRUE")
        if upper == "NULL":
            return ("LIT", None)
        if not self.has_field(text):
            raise FormulaError(f"Field {text} does not exist. Check spelling.")
        return ("FIELD", text)


def compile_formula(formula: str, has_field: Callable[[str], bool]) -> Node:
    return _Parser(formula, has_field).parse()


def _blank(v: Any) -> bool:
    return v is None or v == ""


def evaluate(node: Node, get: Callable[[str], Any], is_new: bool = False) -> Any:
    kind = node[0]
    if kind == "LIT":
        return node[1]
    if kind == "FIELD":
        return get(node[1])
    if kind in ("AND", "OR"):
        left = bool(evaluate(node[1], get, is_new))
        return (
            (left and bool(evaluate(node[2], get, is_new)))
            if kind == "AND"
            else (left or bool(evaluate(node[2], get, is_new)))
        )
    if kind == "NOT":
        return not evaluate(node[1], get, is_new)
    if kind == "CONCAT":
        return f"{evaluate(node[1], get, is_new) or ''}{evaluate(node[2], get, is_new) or ''}"
    if kind == "CMP":
        a, b = evaluate(node[2], get, is_new), evaluate(node[3], get, is_new)
        if node[1] in ("=", "!="):
            same = (a if not _blank(a) else None) == (b if not _blank(b) else None)
            return same if node[1] == "=" else not same
        if a is None or b is None:
            return False
        try:
            return {"<": a < b, ">": a > b, "<=": a <= b, ">=": a >= b}[node[1]]
        except TypeError:
            return False
    if kind == "ARITH":
        a, b = evaluate(node[2], get, is_new), evaluate(node[3], get, is_new)
        if a is None or b is None:
            return None
        ops: dict[str, Callable[[Any, Any], Any]] = {
            "+": lambda x, y: x + y,
            "-": lambda x, y: x - y,
            "*": lambda x, y: x * y,
            "/": lambda x, y: x / y if y else None,
        }
        return ops[node[1]](a, b)
    return _call(node[1], node[2], get, is_new)


def _call(name: str, args: list[Node], get: Callable[[str], Any], is_new: bool) -> Any:
    vals = [evaluate(a, get, is_new) for a in args] if name not in ("AND", "OR") else []
    if name == "AND":
        return all(bool(evaluate(a, get, is_new)) for a in args)
    if name == "OR":
        return any(bool(evaluate(a, get, is_new)) for a in args)
    if name == "NOT":
        return not vals[0]
    if name == "ISPICKVAL":
        return (vals[0] or "") == (vals[1] or "")
    if name in ("ISBLANK", "ISNULL"):
        return _blank(vals[0])
    if name == "TEXT":
        return "" if vals[0] is None else str(vals[0])
    if name == "BLANKVALUE":
        return vals[1] if _blank(vals[0]) else vals[0]
    if name == "ISNEW":
        return is_new
    return False  # ISCHANGED: the emulator keeps no prior values
