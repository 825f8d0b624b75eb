"""JQL: tokenizer, recursive-descent parser, and an evaluator over the site's issues.

Grammar (the subset Structure's generators use)::

    query    := [or_expr] [ORDER BY order (, order)*] EOF
    or_expr  := and_expr ((OR | "||" | "|") and_expr)*
    and_expr := not_expr ((AND | "&&" | "&") not_expr)*
    not_expr := (NOT | "!") not_expr | "(" or_expr ")" | clause
    clause   := field operator operand
    operator := = | != | ~ | !~ | < | > | <= | >= | IN | NOT IN | IS | IS NOT
    operand  := value | EMPTY | NULL | function | "(" operand ("," operand)* ")"
    function := word "(" [arg ("," arg)*] ")"
    order    := field [ASC | DESC]

Errors carry Jira's wording ("Error in the JQL Query: ...") so the REST layer can
answer 400 exactly as Jira does.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from jira_simulator.model import Issue, Site
from jira_simulator.render import RANK, STORY_POINTS, TEAM

VALID_OPERATORS = (
    "The valid operators are '=', '!=', '<', '>', '<=', '>=', '~', '!~', "
    "'IN', 'NOT IN', 'IS' and 'IS NOT'."
)
KEYWORDS = {
    "and",
    "or",
    "not",
    "in",
    "is",
    "empty",
    "null",
    "order",
    "by",
    "asc",
    "desc",
}
UNSUPPORTED_OPERATORS = {"was", "changed"}
SPECIAL_CHARS = set("()=,!<>~\"'&|")


class JqlError(ValueError):
    """A JQL query Jira would refuse with 400; `str()` is Jira's message."""


class JqlSyntaxError(JqlError):
    def __init__(self, message: str, position: int | None = None) -> None:
        where = f" (line 1, character {position + 1})" if position is not None else ""
        super().__init__(f"Error in the JQL Query: {message}{where}")


# ---- tokens ------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Token:
    kind: str  # WORD, STRING, OP, LPAREN, RPAREN, COMMA, EOF
    value: str
    pos: int

    def is_word(self, *words: str) -> bool:
        return self.kind == "WORD" and self.value.lower() in words

    def shown(self) -> str:
        return self.value if self.kind != "STRING" else repr(self.value)


_OPERATOR_TOKENS = (
    "!=",
    "!~",
    "<=",
    ">=",
    "&&",
    "||",
    "=",
    "~",
    "<",
    ">",
    "!",
    "&",
    "|",
)
_ESCAPES = {"n": "\n", "t": "\t", "r": "\r", '"': '"', "'": "'", "\\": "\\", " ": " "}


def tokenize(text: str) -> list[Token]:
    tokens: list[Token] = []
    i = 0
    n = len(text)
    while i < n:
        ch = text[i]
        if ch.isspace():
            i += 1
            continue
        if ch in "(),":
            kind = {"(": "LPAREN", ")": "RPAREN", ",": "COMMA"}[ch]
            tokens.append(Token(kind, ch, i))
            i += 1
            continue
        if ch in "\"'":
            start = i
            i += 1
            chars: list[str] = []
            while True:
                if i >= n:
                    raise JqlSyntaxError(
                        f"The quoted string '{''.join(chars)}' has not been completed.",
                        start,
                    )
                c = text[i]
                if c == "\\":
                    if i + 1 >= n:
                        raise JqlSyntaxError(
                            "Illegal escape sequence at the end of the query.", i
                        )
                    nxt = text[i + 1]
                    if nxt == "u" and re.fullmatch(
                        r"[0-9a-fA-F]{4}", text[i + 2 : i + 6]
                    ):
                        chars.append(chr(int(text[i + 2 : i + 6], 16)))
                        i += 6
                        continue
                    if nxt not in _ESCAPES:
                        raise JqlSyntaxError(f"Illegal escape sequence '\\{nxt}'.", i)
                    chars.append(_ESCAPES[nxt])
                    i += 2
                    continue
                if c == ch:
                    i += 1
                    break
                chars.append(c)
                i += 1
            tokens.append(Token("STRING", "".join(chars), start))
            continue
        op = next((o for o in _OPERATOR_TOKENS if text.startswith(o, i)), None)
        if op is not None:
            tokens.append(Token("OP", op, i))
            i += len(op)
            continue
        start = i
        while i < n and not text[i].isspace() and text[i] not in SPECIAL_CHARS:
            i += 1
        tokens.append(Token("WORD", text[start:i], start))
    tokens.append(Token("EOF", "", n))
    return tokens


# ---- AST ---------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Value:
    text: str
    quoted: bool = False


@dataclass(frozen=True, slots=True)
class Function:
    name: str
    args: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Empty:
    pass


@dataclass(frozen=True, slots=True)
class ListOperand:
    items: tuple[Value | Function | Empty, ...]


Operand = Value | Function | Empty | ListOperand


@dataclass(frozen=True, slots=True)
class FieldRef:
    name: str
    quoted: bool = False


@dataclass(frozen=True, slots=True)
class Clause:
    field: FieldRef
    operator: str  # lower-case: "=", "in", "not in", "is", "is not", ...
    operand: Operand


@dataclass(frozen=True, slots=True)
class Compound:
    operator: str  # "and", "or", "not"
    clauses: tuple[Node, ...]


Node = Clause | Compound


@dataclass(frozen=True, slots=True)
class OrderItem:
    field: FieldRef
    direction: str | None  # "asc", "desc" or None (the field's default)


@dataclass(frozen=True, slots=True)
class Query:
    where: Node | None
    order_by: tuple[OrderItem, ...]


# ---- parser ------------------------------------------------------------------


class Parser:
    def __init__(self, text: str) -> None:
        self.tokens = tokenize(text)
        self.i = 0

    @property
    def tok(self) -> Token:
        return self.tokens[self.i]

    def advance(self) -> Token:
        tok = self.tokens[self.i]
        self.i += 1
        return tok

    def parse(self) -> Query:
        where: Node | None = None
        if self.tok.kind != "EOF" and not self.tok.is_word("order"):
            where = self.or_expr()
        order: tuple[OrderItem, ...] = ()
        if self.tok.is_word("order"):
            order = self.order_by()
        if self.tok.kind != "EOF":
            raise JqlSyntaxError(
                f"Expecting either 'OR' or 'AND' but got '{self.tok.value}'.",
                self.tok.pos,
            )
        return Query(where, order)

    def or_expr(self) -> Node:
        parts = [self.and_expr()]
        while self.tok.is_word("or") or (
            self.tok.kind == "OP" and self.tok.value in ("|", "||")
        ):
            self.advance()
            parts.append(self.and_expr())
        return parts[0] if len(parts) == 1 else Compound("or", tuple(parts))

    def and_expr(self) -> Node:
        parts = [self.not_expr()]
        while self.tok.is_word("and") or (
            self.tok.kind == "OP" and self.tok.value in ("&", "&&")
        ):
            self.advance()
            parts.append(self.not_expr())
        return parts[0] if len(parts) == 1 else Compound("and", tuple(parts))

    def not_expr(self) -> Node:
        if self.tok.is_word("not") or (self.tok.kind == "OP" and self.tok.value == "!"):
            self.advance()
            return Compound("not", (self.not_expr(),))
        if self.tok.kind == "LPAREN":
            self.advance()
            inner = self.or_expr()
            if self.tok.kind == "EOF":
                raise JqlSyntaxError("Expecting ')' before the end of the query.")
            if self.tok.kind != "RPAREN":
                raise JqlSyntaxError(
                    f"Expecting ')' but got '{self.tok.value}'.", self.tok.pos
                )
            self.advance()
            return inner
        return self.clause()

    def field_ref(self) -> FieldRef:
        tok = self.tok
        if tok.kind == "EOF":
            raise JqlSyntaxError("Expecting a field name at the end of the query.")
        if tok.kind == "STRING":
            self.advance()
            return FieldRef(tok.value, quoted=True)
        if tok.kind != "WORD" or tok.value.lower() in KEYWORDS:
            raise JqlSyntaxError(
                f"Expecting a field name but got '{tok.value}'.", tok.pos
            )
        self.advance()
        return FieldRef(tok.value)

    def clause(self) -> Clause:
        field = self.field_ref()
        operator = self.operator()
        if operator in ("is", "is not"):
            tok = self.tok
            if tok.is_word("empty", "null"):
                self.advance()
                return Clause(field, operator, Empty())
            if tok.kind == "EOF":
                raise JqlSyntaxError("Expecting 'EMPTY' before the end of the query.")
            raise JqlSyntaxError(f"Expecting 'EMPTY' but got '{tok.value}'.", tok.pos)
        if operator in ("in", "not in"):
            if self.tok.kind == "LPAREN":
                return Clause(field, operator, self.list_operand())
            return Clause(field, operator, self.single_operand())
        return Clause(field, operator, self.single_operand())

    def operator(self) -> str:
        tok = self.tok
        if tok.kind == "OP" and tok.value in (
            "=",
            "!=",
            "~",
            "!~",
            "<",
            ">",
            "<=",
            ">=",
        ):
            self.advance()
            return tok.value
        if tok.is_word("in"):
            self.advance()
            return "in"
        if tok.is_word("not"):
            self.advance()
            if self.tok.is_word("in"):
                self.advance()
                return "not in"
            raise JqlSyntaxError(
                f"Expecting 'IN' after 'NOT' but got '{self.tok.value}'.", self.tok.pos
            )
        if tok.is_word("is"):
            self.advance()
            if self.tok.is_word("not"):
                self.advance()
                return "is not"
            return "is"
        if tok.kind == "WORD" and tok.value.lower() in UNSUPPORTED_OPERATORS:
            raise JqlError(
                f"Error in the JQL Query: The operator '{tok.value.upper()}' is not supported "
                "by this Jira site's search. (line 1, character "
                f"{tok.pos + 1})"
            )
        if tok.kind == "EOF":
            raise JqlSyntaxError(
                f"Expecting operator before the end of the query. {VALID_OPERATORS}"
            )
        raise JqlSyntaxError(
            f"Expecting operator but got '{tok.value}'. {VALID_OPERATORS}", tok.pos
        )

    def single_operand(self) -> Value | Function | Empty:
        tok = self.tok
        if tok.kind == "STRING":
            self.advance()
            return Value(tok.value, quoted=True)
        if tok.kind == "WORD":
            if tok.value.lower() in ("empty", "null"):
                self.advance()
                return Empty()
            if tok.value.lower() in KEYWORDS:
                raise JqlSyntaxError(
                    f"Expecting either a value, list or function but got '{tok.value}'. "
                    "You must surround 'reserved words' with quotation marks.",
                    tok.pos,
                )
            self.advance()
            if self.tok.kind == "LPAREN":
                return self.function_rest(tok)
            return Value(tok.value)
        if tok.kind == "EOF":
            raise JqlSyntaxError(
                "Expecting either a value, list or function before the end of the query."
            )
        raise JqlSyntaxError(
            f"Expecting either a value, list or function but got '{tok.value}'.",
            tok.pos,
        )

    def function_rest(self, name: Token) -> Function:
        self.advance()  # "("
        args: list[str] = []
        if self.tok.kind == "RPAREN":
            self.advance()
            return Function(name.value, ())
        while True:
            tok = self.tok
            if tok.kind not in ("WORD", "STRING"):
                if tok.kind == "EOF":
                    raise JqlSyntaxError("Expecting ')' before the end of the query.")
                raise JqlSyntaxError(
                    f"Expecting a function argument but got '{tok.value}'.", tok.pos
                )
            args.append(tok.value)
            self.advance()
            if self.tok.kind == "COMMA":
                self.advance()
                continue
            if self.tok.kind == "RPAREN":
                self.advance()
                return Function(name.value, tuple(args))
            if self.tok.kind == "EOF":
                raise JqlSyntaxError("Expecting ')' before the end of the query.")
            raise JqlSyntaxError(
                f"Expecting ')' but got '{self.tok.value}'.", self.tok.pos
            )

    def list_operand(self) -> ListOperand:
        self.advance()  # "("
        items: list[Value | Function | Empty] = []
        if self.tok.kind == "RPAREN":
            raise JqlSyntaxError(
                "Expecting either a value, list or function but got ')'.", self.tok.pos
            )
        while True:
            items.append(self.single_operand())
            if self.tok.kind == "COMMA":
                self.advance()
                continue
            if self.tok.kind == "RPAREN":
                self.advance()
                return ListOperand(tuple(items))
            if self.tok.kind == "EOF":
                raise JqlSyntaxError("Expecting ')' before the end of the query.", None)
            raise JqlSyntaxError(
                f"Expecting ',' or ')' but got '{self.tok.value}'.", self.tok.pos
            )

    def order_by(self) -> tuple[OrderItem, ...]:
        self.advance()  # ORDER
        if not self.tok.is_word("by"):
            if self.tok.kind == "EOF":
                raise JqlSyntaxError("Expecting 'by' before the end of the query.")
            raise JqlSyntaxError(
                f"Expecting 'by' but got '{self.tok.value}'.", self.tok.pos
            )
        self.advance()
        items: list[OrderItem] = []
        while True:
            field = self.field_ref()
            direction: str | None = None
            if self.tok.is_word("asc", "desc"):
                direction = self.advance().value.lower()
            items.append(OrderItem(field, direction))
            if self.tok.kind == "COMMA":
                self.advance()
                continue
            break
        if self.tok.kind != "EOF":
            raise JqlSyntaxError(
                f"Expecting either ',', 'ASC' or 'DESC' but got '{self.tok.value}'.",
                self.tok.pos,
            )
        return tuple(items)


def parse(text: str) -> Query:
    """Parse a JQL string; raises `JqlError` with Jira's message on bad syntax."""
    return Parser(text).parse()


# ---- structure for POST /rest/api/3/jql/parse -----------------------------------


def _field_json(ref: FieldRef) -> dict[str, Any]:
    out: dict[str, Any] = {"name": ref.name}
    if ref.quoted or " " in ref.name:
        out["encodedName"] = '"' + ref.name.replace('"', '\\"') + '"'
    return out


def _operand_json(op: Operand) -> dict[str, Any]:
    if isinstance(op, Empty):
        return {"keyword": "empty"}
    if isinstance(op, Function):
        return {
            "function": op.name,
            "arguments": list(op.args),
            "encodedOperand": f"{op.name}({', '.join(op.args)})",
        }
    if isinstance(op, ListOperand):
        return {"values": [_operand_json(item) for item in op.items]}
    out: dict[str, Any] = {"value": op.text}
    if op.quoted:
        out["encodedValue"] = '"' + op.text.replace('"', '\\"') + '"'
    return out


def _node_json(node: Node) -> dict[str, Any]:
    if isinstance(node, Compound):
        return {
            "operator": node.operator,
            "clauses": [_node_json(c) for c in node.clauses],
        }
    return {
        "field": _field_json(node.field),
        "operator": node.operator,
        "operand": _operand_json(node.operand),
    }


def structure(query: Query) -> dict[str, Any]:
    out: dict[str, Any] = {}
    if query.where is not None:
        out["where"] = _node_json(query.where)
    if query.order_by:
        out["orderBy"] = {
            "fields": [
                {
                    "field": _field_json(o.field),
                    **({"direction": o.direction} if o.direction else {}),
                }
                for o in query.order_by
            ]
        }
    return out


# ---- evaluation --------------------------------------------------------------

Predicate = Callable[[Issue], bool]

_FIELD_ALIASES = {
    "project": "project",
    "key": "issuekey",
    "issuekey": "issuekey",
    "issue": "issuekey",
    "id": "issuekey",
    "issuetype": "issuetype",
    "type": "issuetype",
    "status": "status",
    "statuscategory": "statuscategory",
    "assignee": "assignee",
    "reporter": "reporter",
    "creator": "reporter",
    "priority": "priority",
    "labels": "labels",
    "label": "labels",
    "parent": "parent",
    "fixversion": "fixversion",
    "text": "text",
    "summary": "summary",
    "description": "description",
    "created": "created",
    "createddate": "created",
    "updated": "updated",
    "updateddate": "updated",
    "resolved": "resolutiondate",
    "resolutiondate": "resolutiondate",
    "resolution": "resolution",
    "due": "duedate",
    "duedate": "duedate",
    "cf[10016]": STORY_POINTS,
    "story points": STORY_POINTS,
    "cf[10001]": TEAM,
    "team": TEAM,
    "team[team]": TEAM,
    "cf[10019]": RANK,
    "rank": RANK,
}
_DISPLAY_NAMES = {STORY_POINTS: "Story Points", TEAM: "Team", RANK: "Rank"}

EQUALITY = {"=", "!=", "in", "not in", "is", "is not"}
COMPARISON = {"<", ">", "<=", ">="}
TEXT = {"~", "!~", "is", "is not"}
_FIELD_OPERATORS: dict[str, set[str]] = {
    "project": EQUALITY,
    "issuekey": EQUALITY | COMPARISON,
    "issuetype": EQUALITY,
    "status": EQUALITY,
    "statuscategory": EQUALITY,
    "assignee": EQUALITY,
    "reporter": EQUALITY,
    "priority": EQUALITY,
    "labels": EQUALITY,
    "parent": EQUALITY,
    "fixversion": EQUALITY,
    "text": {"~", "!~"},
    "summary": TEXT,
    "description": TEXT,
    "created": EQUALITY | COMPARISON,
    "updated": EQUALITY | COMPARISON,
    "resolutiondate": EQUALITY | COMPARISON,
    "duedate": EQUALITY | COMPARISON,
    "resolution": EQUALITY,
    STORY_POINTS: EQUALITY | COMPARISON,
    TEAM: EQUALITY,
    RANK: set(),
}

_RELATIVE = re.compile(r"^([+-]?)(\d+)([wdhm])$", re.IGNORECASE)
_DATE_FORMATS = ("%Y-%m-%d %H:%M", "%Y/%m/%d %H:%M", "%Y-%m-%d", "%Y/%m/%d")


def resolve_field(ref: FieldRef) -> str:
    field = _FIELD_ALIASES.get(ref.name.lower())
    if field is None:
        raise JqlError(
            f"Field '{ref.name}' does not exist or you do not have permission to view it."
        )
    return field


class Compiler:
    """Turns a parsed query into a predicate and a sort key for one viewer."""

    def __init__(self, site: Site, viewer: str, now: dt.datetime | None = None) -> None:
        self.site = site
        self.viewer = viewer
        self.now = now or dt.datetime.now(dt.UTC)
        self.getters = dict(_GETTERS)
        self.getters["statuscategory"] = lambda i: (
            site.statuses[i.status_id].category.id
        )

    # -- operands ------------------------------------------------------------

    def _items(self, operand: Operand) -> list[Value | Function | Empty]:
        if isinstance(operand, ListOperand):
            return list(operand.items)
        return [operand]

    def _function(self, fn: Function, field: str) -> list[Any]:
        name = fn.name.lower()
        site = self.site
        if name == "currentuser" and field in ("assignee", "reporter"):
            return [self.viewer]
        if name == "membersof" and field in ("assignee", "reporter") and fn.args:
            group = next(
                (
                    g
                    for g in site.groups.values()
                    if g.name.lower() == fn.args[0].lower()
                ),
                None,
            )
            if group is None:
                raise JqlError(
                    f"The group '{fn.args[0]}' does not exist for the function 'membersOf'."
                )
            return [
                u.account_id for u in site.users.values() if group.group_id in u.groups
            ]
        if name == "standardissuetypes" and field == "issuetype":
            return [t.id for t in site.issue_types.values() if not t.subtask]
        if name == "subtaskissuetypes" and field == "issuetype":
            return [t.id for t in site.issue_types.values() if t.subtask]
        if name in ("releasedversions", "unreleasedversions") and field == "fixversion":
            want = name == "releasedversions"
            projects = (
                [site.project_lookup(a) for a in fn.args]
                if fn.args
                else list(site.projects.values())
            )
            return [
                v.id
                for p in projects
                if p is not None
                for v in p.versions
                if v.released == want
            ]
        if name == "linkedissues" and field == "issuekey" and fn.args:
            issue = site.issue_lookup(fn.args[0])
            if issue is None:
                raise JqlError(
                    f"Issue '{fn.args[0]}' could not be found in function 'linkedIssues'."
                )
            wanted = {a.lower() for a in fn.args[1:]}
            out = []
            for link in site.links_of(issue.id):
                lt = site.link_types[link.type_id]
                other = (
                    link.inward_id if link.outward_id == issue.id else link.outward_id
                )
                label = lt.outward if link.outward_id == issue.id else lt.inward
                if not wanted or label.lower() in wanted or lt.name.lower() in wanted:
                    out.append(other)
            return out
        if (
            field in ("created", "updated", "resolutiondate", "duedate")
            and name in _DATE_FUNCTIONS
        ):
            return [_DATE_FUNCTIONS[name](self.now, fn.args)]
        known = {
            "currentuser",
            "membersof",
            "standardissuetypes",
            "subtaskissuetypes",
            "releasedversions",
            "unreleasedversions",
            "linkedissues",
            *_DATE_FUNCTIONS,
        }
        if name in known:
            raise JqlError(
                f"The function '{fn.name}' is not supported by the field '{field}'."
            )
        raise JqlError(
            f"Unable to find JQL function '{fn.name}({', '.join(fn.args)})'."
        )

    def _values(
        self, operand: Operand, field: str, display: str
    ) -> tuple[list[Any], bool]:
        """Resolved values and whether EMPTY is among them."""
        out: list[Any] = []
        has_empty = False
        for item in self._items(operand):
            if isinstance(item, Empty):
                has_empty = True
            elif isinstance(item, Function):
                out.extend(self._function(item, field))
            else:
                out.extend(self._resolve(item.text, field, display))
        return out, has_empty

    def _resolve(self, text: str, field: str, display: str) -> list[Any]:
        site = self.site
        missing = JqlError(
            f"The value '{text}' does not exist for the field '{display}'."
        )
        low = text.lower()
        if field == "project":
            project = site.project_lookup(text) or next(
                (p for p in site.projects.values() if p.name.lower() == low), None
            )
            # Jira answers the same for a project the viewer may not browse.
            if project is None or not site.can_browse_project(self.viewer, project):
                raise missing
            return [project.id]
        if field == "issuekey":
            if text.isdigit():
                return [int(text)]
            issue = site.issue_lookup(text)
            if issue is None or not site.can_browse(self.viewer, issue):
                raise JqlError(
                    f"An issue with key '{text}' does not exist for field '{display}'."
                )
            return [issue.id]
        if field == "parent":
            issue = site.issue_lookup(text)
            if issue is None:
                raise JqlError(
                    f"An issue with key '{text}' does not exist for field 'parent'."
                )
            return [issue.id]
        if field in ("issuetype", "status", "priority", "resolution"):
            tables: dict[str, dict[int, Any]] = {
                "issuetype": dict(site.issue_types),
                "status": dict(site.statuses),
                "priority": dict(site.priorities),
                "resolution": dict(site.resolutions),
            }
            table = tables[field]
            if field == "resolution" and low == "unresolved":
                return [None]
            found = [
                k for k, v in table.items() if str(k) == text or v.name.lower() == low
            ]
            if not found:
                raise missing
            return found
        if field == "statuscategory":
            found = [
                c.id
                for s in site.statuses.values()
                for c in [s.category]
                if low in (c.key, c.name.lower(), str(c.id))
            ]
            if not found:
                raise missing
            return found
        if field in ("assignee", "reporter"):
            if text not in site.users:
                raise missing
            return [text]
        if field == "fixversion":
            found = [
                v.id
                for p in site.projects.values()
                for v in p.versions
                if str(v.id) == text or v.name.lower() == low
            ]
            if not found:
                raise missing
            return found
        if field == TEAM:
            found_teams = [
                t.id
                for t in site.teams.values()
                if t.id == text or t.name.lower() == low
            ]
            if not found_teams:
                raise missing
            return found_teams
        if field == STORY_POINTS:
            try:
                return [float(text)]
            except ValueError:
                raise JqlError(
                    f"The value '{text}' is not a valid number for the field 'Story Points'."
                ) from None
        if field in ("created", "updated", "resolutiondate", "duedate"):
            return [self._date(text, display)]
        return [text]

    def _date(self, text: str, display: str) -> dt.datetime:
        m = _RELATIVE.match(text.strip())
        if m:
            sign = -1 if m.group(1) == "-" else 1
            amount = int(m.group(2))
            unit = m.group(3).lower()
            delta = {
                "w": dt.timedelta(weeks=amount),
                "d": dt.timedelta(days=amount),
                "h": dt.timedelta(hours=amount),
                "m": dt.timedelta(minutes=amount),
            }[unit]
            return self.now + sign * delta
        for fmt in _DATE_FORMATS:
            try:
                return dt.datetime.strptime(text.strip(), fmt).replace(tzinfo=dt.UTC)
            except ValueError:
                continue
        raise JqlError(
            f"Date value '{text}' for field '{display}' is invalid. Valid formats include: "
            "'yyyy/MM/dd HH:mm', 'yyyy-MM-dd HH:mm', 'yyyy/MM/dd', 'yyyy-MM-dd', "
            "or a period format e.g. '-5d', '4w 2d'."
        )

    # -- clauses -------------------------------------------------------------

    def compile(self, node: Node) -> Predicate:
        if isinstance(node, Compound):
            parts = [self.compile(c) for c in node.clauses]
            if node.operator == "not":
                inner = parts[0]
                return lambda i: not inner(i)
            if node.operator == "and":
                return lambda i: all(p(i) for p in parts)
            return lambda i: any(p(i) for p in parts)
        return self.clause(node)

    def clause(self, clause: Clause) -> Predicate:
        field = resolve_field(clause.field)
        display = _DISPLAY_NAMES.get(field, clause.field.name)
        op = clause.operator
        if op not in _FIELD_OPERATORS[field]:
            if field == RANK:
                raise JqlError(
                    "Field 'Rank' does not support searching, only ordering."
                )
            raise JqlError(
                f"The operator '{op.upper()}' is not supported by the '{display}' field."
            )
        if op in ("in", "not in") and isinstance(clause.operand, Value):
            raise JqlError(
                f"Error in the JQL Query: The operator '{op.upper()}' requires a list of values."
            )
        if op in ("~", "!~"):
            return self._text(field, clause.operand, negate=op == "!~", display=display)
        getter = self.getters[field]
        multi = field in ("labels", "fixversion")
        if isinstance(clause.operand, Empty) or op in ("is", "is not"):
            is_empty: Predicate = (
                (lambda i: not getter(i)) if multi else (lambda i: getter(i) is None)
            )
            if op in ("is", "="):
                return is_empty
            if op in ("is not", "!="):
                return lambda i: not is_empty(i)
            raise JqlError(f"The operator '{op}' does not support the EMPTY keyword.")
        values, has_empty = self._values(clause.operand, field, display)
        if field == "labels":
            values = [v.lower() if isinstance(v, str) else v for v in values]
        if op in COMPARISON:
            return self._compare(field, op, values, display)
        wanted = set(values)
        none_ok = has_empty or (field == "resolution" and None in wanted)

        def matches(issue: Issue) -> bool:
            value = getter(issue)
            if multi:
                if not value:
                    return has_empty
                return bool(wanted.intersection(value))
            if value is None:
                return none_ok
            return value in wanted

        if op in ("=", "in"):
            return matches
        # != and NOT IN never match issues whose value is empty, as in Jira.
        if multi:
            return lambda i: bool(getter(i)) and not matches(i)
        return lambda i: getter(i) is not None and not matches(i)

    def _compare(
        self, field: str, op: str, values: list[Any], display: str
    ) -> Predicate:
        if len(values) != 1:
            raise JqlError(
                f"The operator '{op}' needs exactly one value for the field '{display}'."
            )
        target = values[0]
        getter = self.getters[field]
        cmp = _COMPARATORS[op]
        if field == "issuekey":
            target_issue = self.site.issues.get(target)
            if target_issue is None:
                return lambda i: cmp(i.id, target)
            project_id = target_issue.project_id
            number = _key_number(target_issue.key)
            return lambda i: (
                i.project_id == project_id and cmp(_key_number(i.key), number)
            )
        if field == "duedate":
            target_date = target.date() if isinstance(target, dt.datetime) else target
            return lambda i: i.due_date is not None and cmp(i.due_date, target_date)
        return lambda i: (v := getter(i)) is not None and cmp(v, target)

    def _text(
        self, field: str, operand: Operand, *, negate: bool, display: str
    ) -> Predicate:
        if not isinstance(operand, Value):
            raise JqlError(
                f"The operator '~' needs a text value for the field '{display}'."
            )
        needle = operand.text.strip().lower()
        if not needle:
            raise JqlError(
                f"The field '{display}' does not support searching for an empty string."
            )
        if needle.startswith('"') and needle.endswith('"') and len(needle) > 1:
            terms = [needle[1:-1]]
        else:
            terms = [t.rstrip("*") for t in needle.split() if t.rstrip("*")]

        def haystack(issue: Issue) -> str:
            if field == "summary":
                return issue.summary.lower()
            if field == "description":
                return (issue.description or "").lower()
            return f"{issue.summary}\n{issue.description or ''}".lower()

        def hit(issue: Issue) -> bool:
            text = haystack(issue)
            return all(t in text for t in terms)

        return (lambda i: not hit(i)) if negate else hit

    # -- ordering ------------------------------------------------------------

    def sort(self, issues: list[Issue], order: Iterable[OrderItem]) -> list[Issue]:
        items = list(order)
        if not items:
            # Jira's default order for a query without ORDER BY: newest first.
            return sorted(issues, key=lambda i: (i.created, i.id), reverse=True)
        if len(items) > 7:
            raise JqlError("The ORDER BY clause can contain at most 7 fields.")
        result = sorted(issues, key=lambda i: i.id)
        for item in reversed(items):
            field = resolve_field(item.field)
            keyfn = _SORT_KEYS.get(field)
            if keyfn is None:
                raise JqlError(f"Field '{item.field.name}' does not support sorting.")
            descending = item.direction == "desc"
            present = [i for i in result if keyfn(self.site, i) is not None]
            absent = [i for i in result if keyfn(self.site, i) is None]
            present.sort(key=lambda i: keyfn(self.site, i), reverse=descending)
            result = absent + present if descending else present + absent
        return result


def _key_number(key: str) -> int:
    return int(key.rsplit("-", 1)[1])


_COMPARATORS: dict[str, Callable[[Any, Any], bool]] = {
    "<": lambda a, b: a < b,
    ">": lambda a, b: a > b,
    "<=": lambda a, b: a <= b,
    ">=": lambda a, b: a >= b,
}


def _start_of_day(now: dt.datetime, args: tuple[str, ...]) -> dt.datetime:
    base = now.replace(hour=0, minute=0, second=0, microsecond=0)
    return base + _offset(args)


def _offset(args: tuple[str, ...]) -> dt.timedelta:
    if not args:
        return dt.timedelta()
    m = _RELATIVE.match(args[0].strip())
    if not m:
        raise JqlError(f"Invalid date offset '{args[0]}'.")
    sign = -1 if m.group(1) == "-" else 1
    amount = int(m.group(2))
    unit = m.group(3).lower()
    days = {"w": 7 * amount, "d": amount}.get(unit)
    if days is not None:
        return sign * dt.timedelta(days=days)
    return sign * (
        dt.timedelta(hours=amount) if unit == "h" else dt.timedelta(minutes=amount)
    )


_DATE_FUNCTIONS: dict[str, Callable[[dt.datetime, tuple[str, ...]], dt.datetime]] = {
    "now": lambda now, args: now + _offset(args),
    "startofday": _start_of_day,
    "endofday": lambda now, args: (
        _start_of_day(now, args) + dt.timedelta(days=1, microseconds=-1)
    ),
    "startofweek": lambda now, args: (
        _start_of_day(now, ()) - dt.timedelta(days=now.weekday()) + _offset(args)
    ),
    "startofmonth": lambda now, args: (
        _start_of_day(now, ()).replace(day=1) + _offset(args)
    ),
    "startofyear": lambda now, args: (
        _start_of_day(now, ()).replace(month=1, day=1) + _offset(args)
    ),
}


def _status_category(site: Site, issue: Issue) -> int:
    return site.statuses[issue.status_id].category.id


_GETTERS: dict[str, Callable[[Issue], Any]] = {
    "project": lambda i: i.project_id,
    "issuekey": lambda i: i.id,
    "issuetype": lambda i: i.issuetype_id,
    "status": lambda i: i.status_id,
    "assignee": lambda i: i.assignee,
    "reporter": lambda i: i.reporter,
    "priority": lambda i: i.priority_id,
    "labels": lambda i: [label.lower() for label in i.labels],
    "parent": lambda i: i.parent_id,
    "fixversion": lambda i: i.fix_version_ids,
    "created": lambda i: i.created,
    "updated": lambda i: i.updated,
    "resolutiondate": lambda i: i.resolution_date,
    "duedate": lambda i: i.due_date,
    "resolution": lambda i: i.resolution_id,
    STORY_POINTS: lambda i: i.story_points,
    TEAM: lambda i: i.team_id,
    "summary": lambda i: i.summary,
    "description": lambda i: i.description,
}

_SORT_KEYS: dict[str, Callable[[Site, Issue], Any]] = {
    RANK: lambda s, i: i.rank,
    "issuekey": lambda s, i: (s.projects[i.project_id].key, _key_number(i.key)),
    "project": lambda s, i: s.projects[i.project_id].key,
    "created": lambda s, i: i.created,
    "updated": lambda s, i: i.updated,
    "resolutiondate": lambda s, i: i.resolution_date,
    "duedate": lambda s, i: i.due_date,
    # Priority ASC lists the lowest priority first, as Jira does.
    "priority": lambda s, i: -i.priority_id,
    "status": lambda s, i: i.status_id,
    "statuscategory": lambda s, i: _status_category(s, i),
    "issuetype": lambda s, i: i.issuetype_id,
    "summary": lambda s, i: i.summary.lower(),
    "assignee": lambda s, i: (
        s.users[i.assignee].display_name.lower() if i.assignee in s.users else None
    ),
    "reporter": lambda s, i: (
        s.users[i.reporter].display_name.lower() if i.reporter in s.users else None
    ),
    "resolution": lambda s, i: i.resolution_id,
    STORY_POINTS: lambda s, i: i.story_points,
    TEAM: lambda s, i: s.teams[i.team_id].name if i.team_id in s.teams else None,
}


class Search:
    """One compiled query for one viewer."""

    def __init__(
        self, site: Site, text: str, viewer: str, *, require_bounded: bool = True
    ) -> None:
        self.site = site
        self.query = parse(text)
        if require_bounded and self.query.where is None:
            raise JqlError(
                "Unbounded JQL queries are not allowed here. Please add a search restriction to your query."
            )
        compiler = Compiler(site, viewer)
        self.compiler = compiler
        self.predicate: Predicate = (
            compiler.compile(self.query.where) if self.query.where else (lambda i: True)
        )
        # Validate ORDER BY fields now, so a bad one is a 400 even with no matches.
        for item in self.query.order_by:
            field = resolve_field(item.field)
            if field not in _SORT_KEYS:
                raise JqlError(f"Field '{item.field.name}' does not support sorting.")
        self.viewer = viewer

    def run(self) -> list[int]:
        """Ids of the matching issues the viewer may browse, in query order."""
        matched = [
            i for i in self.site.browsable_issues(self.viewer) if self.predicate(i)
        ]
        return [i.id for i in self.compiler.sort(matched, self.query.order_by)]

    def matches(self, issue: Issue) -> bool:
        return self.predicate(issue)


def validate(site: Site, text: str, viewer: str) -> list[str]:
    """Errors Jira's strict validation reports for a query (empty when valid)."""
    try:
        Search(site, text, viewer, require_bounded=False)
    except JqlError as exc:
        return [str(exc)]
    return []
