"""A tiny Salesforce formula evaluator for validation rules.

Enough for what a configuration compiler generates (required-at-stage rules such as
`AND(ISPICKVAL(StageName, "Negotiation/Review"), ISBLANK(Amount))`) and what admins write by hand:
AND/OR/NOT, ISPICKVAL, ISBLANK/ISNULL, TEXT, BLANKVALUE, ISNEW/ISCHANGED/PRIORVALUE, REGEX, IF,
LEN, CONTAINS, TODAY/NOW, && || ! and comparisons, string/number/boolean literals, field references,
`$User.<field>` and `RecordType.<field>`. Parse errors use the wording of Salesforce's formula editor.

Given the fields' types (`field_type`), the type rules Salesforce applies when a rule is saved are
checked too: a picklist field only inside ISPICKVAL, TEXT, ISCHANGED, PRIORVALUE or CASE (so
ISBLANK(picklist) and `StageName = "X"` are refused), and NOT of a Boolean only.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, date, datetime
from typing import Any


class FormulaError(Exception):
    pass


_TOKEN = re.compile(
    r"""\s*(?:(?P<str>"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*')|(?P<num>\d+(?:\.\d+)?)
    |(?P<op>&&|\|\||==|!=|<>|<=|>=|[=<>!+\-*/&(),])|(?P<name>[A-Za-z_$][\w.$]*))""",
    re.X,
)
_FUNCS = {"AND", "OR", "NOT", "ISPICKVAL", "ISBLANK", "ISNULL", "TEXT", "BLANKVALUE", "ISNEW", "ISCHANGED",
          "PRIORVALUE", "REGEX", "IF", "LEN", "CONTAINS", "TODAY", "NOW", "CASE"}
_BOOLEAN_FUNCS = {"AND", "OR", "NOT", "ISPICKVAL", "ISBLANK", "ISNULL", "ISNEW", "ISCHANGED", "REGEX", "CONTAINS"}
_PICKLIST_OK = {"ISPICKVAL", "TEXT", "ISCHANGED", "PRIORVALUE", "CASE"}  # where a picklist may appear
_RECORD_TYPE_FIELDS = {"id", "name", "developername", "description", "isactive"}
_TYPE_NAMES = {"boolean": "Boolean", "number": "Number", "date": "Date", "datetime": "DateTime", "text": "Text",
               "picklist": "Picklist", "multipicklist": "Picklist (Multi-Select)", "null": "Null"}

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
        if upper.startswith("$USER."):
            return ("USER", text.partition(".")[2])
        rel, dot, rest = text.partition(".")
        if dot and rel.lower() == "recordtype" and rest.lower() in _RECORD_TYPE_FIELDS:
            return ("RECORDTYPE", rest)
        if not self.has_field(text):
            raise FormulaError(f"Field {text} does not exist. Check spelling.")
        return ("FIELD", text)


def compile_formula(
    formula: str, has_field: Callable[[str], bool], field_type: Callable[[str], str | None] | None = None
) -> Node:
    """The formula's syntax tree; with `field_type` (describe types), its type rules are checked too."""
    node = _Parser(formula, has_field).parse()
    if field_type is not None:
        _type_of(node, field_type, None)
    return node


def _field_kind(describe_type: str | None) -> str:
    if describe_type in ("picklist", "multipicklist", "boolean", "date", "datetime"):
        return describe_type
    if describe_type in ("double", "int", "currency", "percent"):
        return "number"
    return "text"


def _type_of(node: Node, field_type: Callable[[str], str | None], parent: str | None) -> str:
    """The type of a formula node (text, number, boolean, date, datetime, picklist...), checking
    what Salesforce refuses on save. `parent` is the function the node is a direct argument of."""
    kind = node[0]
    if kind == "LIT":
        v = node[1]
        return "null" if v is None else "boolean" if isinstance(v, bool) else "number" if isinstance(v, float) else "text"
    if kind == "FIELD":
        t = _field_kind(field_type(node[1]))
        if t == "picklist" and parent not in _PICKLIST_OK:
            raise FormulaError(f"Field {node[1]} is a picklist field. Picklist fields are only supported in "
                               "certain functions.")
        return t
    if kind in ("USER", "RECORDTYPE"):
        return "boolean" if node[1].lower() == "isactive" else "text"
    if kind in ("AND", "OR", "NOT"):
        for arg in node[1:]:
            _expect_boolean(kind, _type_of(arg, field_type, kind))
        return "boolean"
    if kind == "CMP":
        _type_of(node[2], field_type, "CMP")
        _type_of(node[3], field_type, "CMP")
        return "boolean"
    if kind in ("ARITH", "CONCAT"):
        left = _type_of(node[2] if kind == "ARITH" else node[1], field_type, kind)
        _type_of(node[3] if kind == "ARITH" else node[2], field_type, kind)
        return "text" if kind == "CONCAT" else left if left in ("date", "datetime") else "number"
    name, args = node[1], node[2]
    types = [_type_of(a, field_type, name) for a in args]
    if name == "NOT":
        _expect_boolean("NOT", types[0] if types else "null")
    if name in ("AND", "OR"):
        for t in types:
            _expect_boolean(name, t)
    if name in _BOOLEAN_FUNCS:
        return "boolean"
    if name in ("TEXT", "CASE"):
        return "text"
    if name in ("PRIORVALUE", "BLANKVALUE"):
        return types[0] if types else "null"
    if name == "IF":
        return types[1] if len(types) > 1 else "null"
    return {"LEN": "number", "TODAY": "date", "NOW": "datetime"}.get(name, "text")


def _expect_boolean(function: str, received: str) -> None:
    if received not in ("boolean", "null"):
        raise FormulaError(f"Incorrect parameter type for function '{function}()'. Expected Boolean, received "
                           f"{_TYPE_NAMES.get(received, received.title())}")


def _blank(v: Any) -> bool:
    return v is None or v == ""


def evaluate(node: Node, get: Callable[[str], Any], is_new: bool = False) -> Any:
    kind = node[0]
    if kind == "LIT":
        return node[1]
    if kind in ("FIELD", "USER", "RECORDTYPE"):
        return get(node[1] if kind == "FIELD" else f"{'$User' if kind == 'USER' else 'RecordType'}.{node[1]}")
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
    if name == "IF":
        return evaluate(args[1] if evaluate(args[0], get, is_new) else args[2], get, is_new)
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
    if name == "PRIORVALUE":
        return vals[0]  # the emulator keeps no prior values: the value before is the value now
    if name == "REGEX":
        return vals[0] is not None and re.fullmatch(str(vals[1]), str(vals[0])) is not None
    if name == "LEN":
        return len(str(vals[0] or ""))
    if name == "CONTAINS":
        return str(vals[1] or "") in str(vals[0] or "")
    if name == "TODAY":
        return date.today().isoformat()
    if name == "NOW":
        return datetime.now(UTC).isoformat()
    if name == "CASE":
        pairs = vals[1:-1] if len(vals) % 2 == 0 else vals[1:]
        for i in range(0, len(pairs) - 1, 2):
            if pairs[i] == vals[0]:
                return pairs[i + 1]
        return vals[-1] if len(vals) % 2 == 0 else None
    return False  # ISCHANGED: the emulator keeps no prior values
