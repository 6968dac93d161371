"""A small SOQL engine for the Salesforce emulator.

It covers what a configuration tool sends: field lists with relationship paths (`Parent.Name`),
WHERE with AND/OR/NOT, comparison operators, IN / NOT IN (values or a semi-join sub-select),
LIKE, ORDER BY, LIMIT/OFFSET, and aggregates (COUNT(), COUNT(f), SUM/AVG/MIN/MAX, GROUP BY).
Errors carry Salesforce's own error codes (MALFORMED_QUERY, INVALID_FIELD, INVALID_TYPE) so the
REST layer can answer 400 exactly as the real API does.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import cmp_to_key
from typing import Any, Protocol


class SoqlError(Exception):
    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


@dataclass(frozen=True)
class Relation:
    name: str  # canonical relationship name, e.g. "LastModifiedBy"
    fk: str  # the id field on this object, e.g. "LastModifiedById"
    target: str  # the related sObject
    key: str = "Id"  # the target field fk points at (EntityDefinition relations use DurableId)


@dataclass
class SObjectSchema:
    name: str
    fields: dict[str, str]  # lower-case name -> canonical name
    relations: dict[str, Relation] = field(default_factory=dict)  # lower-case name -> relation
    # canonical name -> describe type (string, picklist, textarea, datetime, currency, ...), where known:
    # what a field may do in a query (GROUP BY, WHERE, aggregates) depends on it.
    types: dict[str, str] = field(default_factory=dict)
    unfilterable: frozenset[str] = frozenset()  # canonical names a WHERE may not name (long text areas)

    def field(self, name: str) -> str | None:
        return self.fields.get(name.lower())


class Source(Protocol):
    """What the engine needs from the org: schemas and rows (plain dicts keyed by canonical names)."""

    def schema(self, sobject: str) -> SObjectSchema | None: ...

    def rows(self, sobject: str, include_deleted: bool) -> list[dict[str, Any]]: ...


# ---------------------------------------------------------------------------------------------
# Tokens and AST
# ---------------------------------------------------------------------------------------------

_TOKEN = re.compile(
    r"""\s*(?:
      (?P<str>'(?:[^'\\]|\\.)*')
    | (?P<dt>\d{4}-\d{2}-\d{2}(?:T\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:Z|[+-]\d{2}:?\d{2}))?)(?![\w.])
    | (?P<num>-?\d+(?:\.\d+)?)(?![\w])
    | (?P<op><=|>=|!=|<>|=|<|>)
    | (?P<punct>[(),])
    | (?P<ident>[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)*(?::\d+)?)
    )""",
    re.X,
)
_ESCAPES = {"n": "\n", "t": "\t", "r": "\r", "b": "\b", "f": "\f", "'": "'", '"': '"', "\\": "\\"}
AGGREGATES = {"COUNT", "COUNT_DISTINCT", "SUM", "AVG", "MIN", "MAX"}
# Describe types whose fields are not `groupable` ([docs] GROUP BY considerations; describe's `groupable`).
NOT_GROUPABLE = frozenset({"textarea", "multipicklist", "double", "currency", "percent", "datetime", "time",
                           "base64", "address", "location"})
# Types no aggregate function takes ([docs] "Support for Field Types in Aggregate Functions": boolean, base64).
NO_AGGREGATES = frozenset({"boolean", "base64"})
# [docs] a query with GROUP BY cannot use a query locator: more rows than one batch is refused.
AGGREGATE_ROWS = 2000
_CLAUSE_WORDS = {"FROM", "WHERE", "GROUP", "ORDER", "LIMIT", "OFFSET", "WITH", "FOR", "HAVING", "USING"}


@dataclass(frozen=True)
class Tok:
    kind: str
    text: str
    pos: int

    @property
    def upper(self) -> str:
        return self.text.upper()


def tokenize(soql: str) -> list[Tok]:
    toks: list[Tok] = []
    pos = 0
    stripped = soql.rstrip()
    while pos < len(stripped):
        m = _TOKEN.match(stripped, pos)
        if not m or m.end() == pos:
            raise SoqlError("MALFORMED_QUERY", f"unexpected token: '{stripped[pos:].split()[0][:40]}'")
        kind = m.lastgroup or ""
        toks.append(Tok(kind, m.group(kind), m.start(kind)))
        pos = m.end()
    return toks


@dataclass(frozen=True)
class FieldPath:
    """A resolved field reference: relations to follow, then the field on the last object."""

    text: str
    relations: tuple[Relation, ...]
    field: str
    type: str = ""  # the field's describe type, when its object's schema says
    filterable: bool = True

    @property
    def output_name(self) -> str:
        return self.field


@dataclass(frozen=True)
class Aggregate:
    func: str
    arg: FieldPath | None
    alias: str


@dataclass(frozen=True)
class Literal:
    value: Any
    is_date: bool = False


@dataclass(frozen=True)
class Compare:
    path: FieldPath
    op: str  # = != < <= > >= LIKE IN NOTIN INCLUDES EXCLUDES
    value: Any  # Literal | list[Literal] | Query (semi-join)


@dataclass(frozen=True)
class BoolOp:
    op: str  # AND | OR | NOT
    parts: tuple[Any, ...]


@dataclass
class Query:
    sobject: str
    fields: list[FieldPath | Aggregate]
    where: Any = None
    group_by: list[FieldPath] = field(default_factory=list)
    order_by: list[tuple[FieldPath | str, bool, bool]] = field(
        default_factory=list
    )  # (key, desc, nulls_last)
    limit: int | None = None
    offset: int = 0
    count_only: bool = False  # SELECT COUNT() FROM ...

    @property
    def is_aggregate(self) -> bool:
        return self.count_only or any(isinstance(f, Aggregate) for f in self.fields) or bool(self.group_by)


# ---------------------------------------------------------------------------------------------
# Parser
# ---------------------------------------------------------------------------------------------


class _Parser:
    def __init__(self, soql: str, source: Source) -> None:
        self.soql = soql
        self.toks = tokenize(soql)
        self.i = 0
        self.source = source

    # -- token helpers ------------------------------------------------------------------------
    def peek(self, ahead: int = 0) -> Tok | None:
        j = self.i + ahead
        return self.toks[j] if j < len(self.toks) else None

    def at(self, *words: str) -> bool:
        tok = self.peek()
        return tok is not None and tok.upper in words

    def take(self) -> Tok:
        tok = self.peek()
        if tok is None:
            raise SoqlError("MALFORMED_QUERY", "unexpected end of query")
        self.i += 1
        return tok

    def expect(self, text: str) -> Tok:
        tok = self.take()
        if tok.upper != text:
            raise SoqlError("MALFORMED_QUERY", f"unexpected token: '{tok.text}', expecting '{text}'")
        return tok

    # -- grammar ------------------------------------------------------------------------------
    def query(self, nested: bool = False) -> Query:
        self.expect("SELECT")
        raw_items = self._select_items()
        self.expect("FROM")
        obj_tok = self.take()
        schema = self.source.schema(obj_tok.text) if obj_tok.kind == "ident" else None
        if schema is None:
            raise SoqlError(
                "INVALID_TYPE",
                f"\n{self.soql}\n^\nERROR at Row:1:Column:{obj_tok.pos + 1}\n"
                f"sObject type '{obj_tok.text}' is not supported. If you are attempting to use a custom "
                "object, be sure to append the '__c' after the entity name. Please reference your WSDL or "
                "the describe call for the appropriate names.",
            )
        q = Query(schema.name, [])
        self._resolve_select(q, schema, raw_items)
        if self.at("USING"):
            self.take(), self.take(), self.take()  # USING SCOPE x: accepted, no effect
        if self.at("WHERE"):
            self.take()
            q.where = self._or(schema)
        if self.at("WITH"):
            self.take(), self.take()  # WITH SECURITY_ENFORCED etc.: accepted, no effect
        if self.at("GROUP"):
            self.take(), self.expect("BY")
            q.group_by = [self._grouped(schema)]
            while self._comma():
                q.group_by.append(self._grouped(schema))
        if self.at("ORDER"):
            self.take(), self.expect("BY")
            q.order_by = [self._order_item(schema, q)]
            while self._comma():
                q.order_by.append(self._order_item(schema, q))
        if self.at("LIMIT"):
            self.take()
            q.limit = self._int()
        if self.at("OFFSET"):
            self.take()
            q.offset = self._int()
        if self.at("FOR"):
            self.take(), self.take()  # FOR VIEW / FOR UPDATE: accepted, no effect
        if not nested and self.peek() is not None:
            tok = self.peek()
            assert tok is not None
            raise SoqlError("MALFORMED_QUERY", f"unexpected token: '{tok.text}'")
        self._check_grouping(q)
        if q.limit is not None and not q.group_by and any(isinstance(f, Aggregate) for f in q.fields):
            # [docs] "You must use a GROUP BY clause if your query has a LIMIT clause and an aggregated function"
            raise SoqlError("MALFORMED_QUERY", "LIMIT with an aggregate function needs a GROUP BY clause")
        return q

    def _at(self, tok: Tok, message: str) -> str:
        return f"\n{self.soql}\n^\nERROR at Row:1:Column:{tok.pos + 1}\n{message}"

    def _grouped(self, schema: SObjectSchema) -> FieldPath:
        """[docs] only fields whose describe says `groupable` may be grouped: not long text, multi-select
        picklists, numbers with decimals (double, currency, percent) or date/times."""
        tok = self.take()
        path = self._path(schema, tok)
        if path.type in NOT_GROUPABLE:
            raise SoqlError("INVALID_FIELD", self._at(tok, f"field '{path.field}' can not be grouped in a query call"))
        return path

    def _comma(self) -> bool:
        tok = self.peek()
        if tok is not None and tok.text == ",":
            self.take()
            return True
        return False

    def _int(self) -> int:
        tok = self.take()
        if tok.kind != "num" or "." in tok.text:
            raise SoqlError("MALFORMED_QUERY", f"unexpected token: '{tok.text}', expecting a number")
        return int(tok.text)

    def _select_items(self) -> list[tuple[Tok, Tok | None, Tok | None]]:
        """(name token, aggregate argument or None, alias or None) in SELECT order."""
        items: list[tuple[Tok, Tok | None, Tok | None]] = []
        while True:
            tok = self.take()
            if tok.text == "(":
                raise SoqlError("MALFORMED_QUERY", "child relationship sub-queries are not supported here")
            if tok.kind != "ident":
                raise SoqlError("MALFORMED_QUERY", f"unexpected token: '{tok.text}'")
            arg: Tok | None = None
            nxt = self.peek()
            if tok.upper in AGGREGATES and nxt is not None and nxt.text == "(":
                self.take()
                arg = self.take()
                if arg.text == ")":
                    arg = None
                    items.append((tok, Tok("ident", "", tok.pos), self._alias()))
                    if not self._comma():
                        return items
                    continue
                self.expect(")")
            items.append((tok, arg, self._alias() if arg is not None else None))
            if not self._comma():
                return items

    def _alias(self) -> Tok | None:
        tok = self.peek()
        if tok is not None and tok.kind == "ident" and tok.upper not in _CLAUSE_WORDS:
            return self.take()
        return None

    def _resolve_select(
        self, q: Query, schema: SObjectSchema, items: list[tuple[Tok, Tok | None, Tok | None]]
    ) -> None:
        expr_n = 0
        for name, arg, alias in items:
            if arg is None:
                q.fields.append(self._path(schema, name))
                continue
            func = name.upper
            if arg.text == "":  # COUNT()
                if func != "COUNT" or len(items) > 1:
                    raise SoqlError("MALFORMED_QUERY", "COUNT() must be the only element in the SELECT list")
                q.count_only = True
                continue
            label = alias.text if alias else f"expr{expr_n}"
            if alias is None:
                expr_n += 1
            path = self._path(schema, arg)
            if path.type in NO_AGGREGATES:  # [docs] "Support for Field Types in Aggregate Functions"
                raise SoqlError("INVALID_FIELD", self._at(arg, f"field {path.field} does not support aggregate "
                                                               f"operator {func}"))
            q.fields.append(Aggregate(func, path, label))

    def _path(self, schema: SObjectSchema, tok: Tok) -> FieldPath:
        if tok.kind != "ident":
            raise SoqlError("MALFORMED_QUERY", f"unexpected token: '{tok.text}'")
        parts = tok.text.split(".")
        current = schema
        relations: list[Relation] = []
        # A leading "Opportunity." qualifier naming the FROM object is legal SOQL.
        if (
            len(parts) > 1
            and parts[0].lower() == schema.name.lower()
            and parts[0].lower() not in schema.relations
        ):
            parts = parts[1:]
        for part in parts[:-1]:
            rel = current.relations.get(part.lower())
            target = self.source.schema(rel.target) if rel else None
            if rel is None or target is None:
                raise SoqlError(
                    "INVALID_FIELD",
                    f"\n{self.soql}\n^\nERROR at Row:1:Column:{tok.pos + 1}\nDidn't understand relationship "
                    f"'{part}' in field path. If you are attempting to use a custom relationship, be sure "
                    "to append the '__r' after the custom relationship name. Please reference your WSDL or "
                    "the describe call for the appropriate names.",
                )
            relations.append(rel)
            current = target
        canonical = current.field(parts[-1])
        if canonical is None:
            raise SoqlError(
                "INVALID_FIELD",
                f"\n{self.soql}\n^\nERROR at Row:1:Column:{tok.pos + 1}\n"
                f"No such column '{parts[-1]}' on entity "
                f"'{current.name}'. If you are attempting to use a custom field, be sure to append the '__c' "
                "after the custom field name. Please reference your WSDL or the describe call for the "
                "appropriate names.",
            )
        return FieldPath(tok.text, tuple(relations), canonical, current.types.get(canonical, ""),
                         canonical not in current.unfilterable)

    def _order_item(self, schema: SObjectSchema, q: Query) -> tuple[FieldPath | str, bool, bool]:
        tok = self.take()
        key: FieldPath | str
        aliases = {f.alias.lower(): f.alias for f in q.fields if isinstance(f, Aggregate)}
        if tok.upper in AGGREGATES and self.peek() is not None and self.peek().text == "(":  # type: ignore[union-attr]
            self.take()
            arg = self.take()
            self.expect(")")
            match = [
                f
                for f in q.fields
                if isinstance(f, Aggregate)
                and f.func == tok.upper
                and f.arg is not None
                and f.arg.text.lower() == arg.text.lower()
            ]
            if not match:
                raise SoqlError("MALFORMED_QUERY", "ORDER BY aggregate must appear in the SELECT list")
            key = match[0].alias
        elif tok.text.lower() in aliases:
            key = aliases[tok.text.lower()]
        else:
            key = self._path(schema, tok)
        desc = False
        if self.at("ASC", "DESC"):
            desc = self.take().upper == "DESC"
        nulls_last = desc  # SOQL default: ASC NULLS FIRST, DESC NULLS LAST
        if self.at("NULLS"):
            self.take()
            nulls_last = self.take().upper == "LAST"
        return key, desc, nulls_last

    def _or(self, schema: SObjectSchema) -> Any:
        parts = [self._and(schema)]
        while self.at("OR"):
            self.take()
            parts.append(self._and(schema))
        return parts[0] if len(parts) == 1 else BoolOp("OR", tuple(parts))

    def _and(self, schema: SObjectSchema) -> Any:
        parts = [self._not(schema)]
        while self.at("AND"):
            self.take()
            parts.append(self._not(schema))
        return parts[0] if len(parts) == 1 else BoolOp("AND", tuple(parts))

    def _not(self, schema: SObjectSchema) -> Any:
        if self.at("NOT"):
            self.take()
            return BoolOp("NOT", (self._not(schema),))
        tok = self.peek()
        if tok is not None and tok.text == "(":
            self.take()
            inner = self._or(schema)
            self.expect(")")
            return inner
        return self._compare(schema)

    def _compare(self, schema: SObjectSchema) -> Compare:
        tok = self.peek()
        path = self._path(schema, self.take())
        if not path.filterable:
            assert tok is not None
            raise SoqlError("INVALID_FIELD", self._at(tok, f"field '{path.field}' can not be filtered in a query call"))
        tok = self.take()
        if tok.kind == "op":
            op = "!=" if tok.text == "<>" else tok.text
            return Compare(path, op, self._literal())
        word = tok.upper
        if word == "NOT" and self.at("IN"):
            self.take()
            word = "NOTIN"
        if word == "LIKE":
            return Compare(path, "LIKE", self._literal())
        if word in ("IN", "NOTIN", "INCLUDES", "EXCLUDES"):
            self.expect("(")
            if self.at("SELECT"):
                sub = self.query(nested=True)
                self.expect(")")
                if len(sub.fields) != 1 or sub.is_aggregate:
                    raise SoqlError("MALFORMED_QUERY", "semi-join sub-selects must select exactly one field")
                return Compare(path, word, sub)
            values = [self._literal()]
            while self._comma():
                values.append(self._literal())
            self.expect(")")
            return Compare(path, word, values)
        raise SoqlError("MALFORMED_QUERY", f"unexpected token: '{tok.text}'")

    def _literal(self) -> Literal:
        tok = self.take()
        if tok.kind == "str":
            body = tok.text[1:-1]
            return Literal(re.sub(r"\\(.)", lambda m: _ESCAPES.get(m.group(1), m.group(1)), body))
        if tok.kind == "num":
            return Literal(float(tok.text) if "." in tok.text else int(tok.text))
        if tok.kind == "dt":
            return Literal(tok.text, is_date=True)
        if tok.kind == "ident":
            word = tok.upper
            if word in ("TRUE", "FALSE"):
                return Literal(word == "TRUE")
            if word == "NULL":
                return Literal(None)
        raise SoqlError("MALFORMED_QUERY", f"unexpected token: '{tok.text}'")

    @staticmethod
    def _check_grouping(q: Query) -> None:
        if not q.is_aggregate or q.count_only:
            return
        grouped = {g.text.lower() for g in q.group_by}
        for f in q.fields:
            if isinstance(f, FieldPath) and f.text.lower() not in grouped:
                raise SoqlError("MALFORMED_QUERY", f"Field must be grouped or aggregated: {f.field}")


def parse(soql: str, source: Source) -> Query:
    parser = _Parser(soql, source)
    if not parser.toks:
        raise SoqlError("MALFORMED_QUERY", "empty query")
    return parser.query()


# ---------------------------------------------------------------------------------------------
# Execution
# ---------------------------------------------------------------------------------------------


@dataclass
class Result:
    records: list[dict[str, Any]]
    total_size: int
    aggregate: bool = False  # rows are AggregateResults: they cannot be paged (see AGGREGATE_ROWS)


def _as_datetime(value: Any) -> datetime | None:
    if not isinstance(value, str) or len(value) < 10:
        return None
    text = value.replace("Z", "+00:00")
    text = re.sub(r"([+-]\d{2})(\d{2})$", r"\1:\2", text)
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _norm(value: Any) -> Any:
    """Comparison key: SOQL string comparison is case-insensitive."""
    return value.lower() if isinstance(value, str) else value


def _like(value: Any, pattern: str) -> bool:
    if not isinstance(value, str):
        return False
    regex = "".join(".*" if c == "%" else "." if c == "_" else re.escape(c) for c in pattern)
    return re.fullmatch(regex, value, re.I | re.S) is not None


class _Executor:
    def __init__(self, source: Source, include_deleted: bool) -> None:
        self.source = source
        self.include_deleted = include_deleted
        self._indexes: dict[tuple[str, str], dict[Any, dict[str, Any]]] = {}

    def index(self, rel: Relation) -> dict[Any, dict[str, Any]]:
        """Rows of rel.target by rel.key, built once per query."""
        key = (rel.target, rel.key)
        if key not in self._indexes:
            rows = self.source.rows(rel.target, True)
            self._indexes[key] = {r[rel.key]: r for r in rows if r.get(rel.key) is not None}
        return self._indexes[key]

    def related(self, row: dict[str, Any] | None, path: FieldPath) -> dict[str, Any] | None:
        """The record that holds path.field, following the relationship chain."""
        cur = row
        for rel in path.relations:
            if cur is None:
                return None
            fk = cur.get(rel.fk)
            cur = self.index(rel).get(fk) if fk else None
        return cur

    def value(self, row: dict[str, Any], path: FieldPath) -> Any:
        holder = self.related(row, path)
        return None if holder is None else holder.get(path.field)

    def matches(self, row: dict[str, Any], cond: Any) -> bool:
        if cond is None:
            return True
        if isinstance(cond, BoolOp):
            if cond.op == "AND":
                return all(self.matches(row, c) for c in cond.parts)
            if cond.op == "OR":
                return any(self.matches(row, c) for c in cond.parts)
            return not self.matches(row, cond.parts[0])
        return self._compare(self.value(row, cond.path), cond)

    def _compare(self, actual: Any, cond: Compare) -> bool:
        if cond.op in ("IN", "NOTIN"):
            if isinstance(cond.value, Query):
                values = self.semi_join_values(cond.value)
            else:
                values = {_norm(v.value) for v in cond.value}
            found = _norm(actual) in values
            return found if cond.op == "IN" else not found
        if cond.op in ("INCLUDES", "EXCLUDES"):
            chosen = {v.lower() for v in (actual or "").split(";") if v}
            hit = any(_norm(v.value) in chosen for v in cond.value)
            return hit if cond.op == "INCLUDES" else not hit
        lit: Literal = cond.value
        if cond.op == "LIKE":
            return _like(actual, str(lit.value))
        expected = lit.value
        if lit.value is None:
            return (actual is None) == (cond.op == "=") if cond.op in ("=", "!=") else False
        if actual is None:
            return cond.op == "!="
        if lit.is_date and isinstance(actual, str):
            a_dt, e_dt = _as_datetime(actual), _as_datetime(expected)
            if a_dt is not None and e_dt is not None:
                actual, expected = a_dt, e_dt
        a, e = _norm(actual), _norm(expected)
        try:
            return bool(
                {
                    "=": a == e,
                    "!=": a != e,
                    "<": a < e,
                    "<=": a <= e,
                    ">": a > e,
                    ">=": a >= e,
                }[cond.op]
            )
        except TypeError:
            return False

    def semi_join_values(self, sub: Query) -> set[Any]:
        path = sub.fields[0]
        assert isinstance(path, FieldPath)
        rows = [r for r in self.source.rows(sub.sobject, self.include_deleted) if self.matches(r, sub.where)]
        return {_norm(self.value(r, path)) for r in rows}


def _sortable(value: Any) -> Any:
    if isinstance(value, bool):
        return int(value)
    return value.lower() if isinstance(value, str) else value


def _order(rows: list[Any], keys: list[tuple[Callable[[Any], Any], bool, bool]]) -> list[Any]:
    """Sort by several keys; nulls go first or last whatever the direction, as in SOQL."""

    def compare(x: Any, y: Any) -> int:
        for getter, desc, nulls_last in keys:
            a, b = getter(x), getter(y)
            if a is None or b is None:
                if a is None and b is None:
                    continue
                first = -1 if a is None else 1  # a null sorts first...
                return -first if nulls_last else first  # ...unless NULLS LAST
            a, b = _sortable(a), _sortable(b)
            try:
                c = int(a > b) - int(a < b)
            except TypeError:
                c = (str(a) > str(b)) - (str(a) < str(b))
            if c:
                return -c if desc else c
        return 0

    return sorted(rows, key=cmp_to_key(compare))


def _aggregate(func: str, values: Iterable[Any]) -> Any:
    present = [v for v in values if v is not None]
    if func == "COUNT":
        return len(present)
    if func == "COUNT_DISTINCT":
        return len({_norm(v) for v in present})
    if not present:
        return None
    if func == "SUM":
        return sum(present)
    if func == "AVG":
        return sum(present) / len(present)
    return min(present) if func == "MIN" else max(present)


def execute(
    soql: str,
    source: Source,
    *,
    include_deleted: bool = False,
    url_for: Callable[[str, str], str],
) -> Result:
    """Run a SOQL query; url_for(sobject, id) builds the `attributes.url` of each record."""
    q = parse(soql, source)
    ex = _Executor(source, include_deleted)
    rows = [r for r in source.rows(q.sobject, include_deleted) if ex.matches(r, q.where)]
    if q.count_only:
        return Result([], len(rows))
    if q.is_aggregate:
        out = _run_aggregate(q, ex, rows)
    else:
        if q.order_by:
            keys: list[tuple[Callable[[Any], Any], bool, bool]] = [
                (_field_getter(ex, k), d, n) for k, d, n in q.order_by if isinstance(k, FieldPath)
            ]
            rows = _order(rows, keys)
        out = [_project(q, ex, r, url_for) for r in rows]
    out = out[q.offset :]
    if q.limit is not None:
        out = out[: q.limit]
    return Result(out, len(out), aggregate=q.is_aggregate)


def _field_getter(ex: _Executor, path: FieldPath) -> Callable[[Any], Any]:
    return lambda row: ex.value(row, path)


def _key_getter(name: str) -> Callable[[Any], Any]:
    return lambda row: row.get(name)


def _project(
    q: Query, ex: _Executor, row: dict[str, Any], url_for: Callable[[str, str], str]
) -> dict[str, Any]:
    rec: dict[str, Any] = {"attributes": {"type": q.sobject, "url": url_for(q.sobject, row.get("Id", ""))}}
    for path in q.fields:
        assert isinstance(path, FieldPath)
        target: dict[str, Any] | None = rec
        cur_row: dict[str, Any] | None = row
        for rel in path.relations:
            fk = cur_row.get(rel.fk) if cur_row else None
            cur_row = ex.index(rel).get(fk) if fk else None
            assert target is not None
            if cur_row is None:
                target.setdefault(rel.name, None)
                target = None
                break
            nested = target.get(rel.name)
            if not isinstance(nested, dict):
                nested = {
                    "attributes": {"type": rel.target, "url": url_for(rel.target, cur_row.get("Id", ""))}
                }
                target[rel.name] = nested
            target = nested
        if target is not None and cur_row is not None:
            target[path.field] = cur_row.get(path.field)
    return rec


def _run_aggregate(q: Query, ex: _Executor, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    groups: dict[tuple[Any, ...], list[dict[str, Any]]] = {}
    for r in rows:
        key = tuple(_norm(ex.value(r, g)) for g in q.group_by)
        groups.setdefault(key, []).append(r)
    if not q.group_by and not groups:
        groups[()] = []
    out: list[dict[str, Any]] = []
    for members in groups.values():
        rec: dict[str, Any] = {"attributes": {"type": "AggregateResult"}}
        for f in q.fields:
            if isinstance(f, Aggregate):
                assert f.arg is not None
                rec[f.alias] = _aggregate(f.func, (ex.value(m, f.arg) for m in members))
            else:
                rec[f.field] = ex.value(members[0], f) if members else None
        out.append(rec)
    if q.order_by:
        keys = [(_key_getter(k if isinstance(k, str) else k.field), d, n) for k, d, n in q.order_by]
        out = _order(out, keys)
    return out
