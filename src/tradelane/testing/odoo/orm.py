"""In-memory ORM of the Odoo 17 emulator.

Responsibilities: field declarations, dict-based record storage, recordsets with Odoo-like attribute
access, domains (prefix ``&``/``|``/``!``, dotted paths, ``child_of``, ``like``/``ilike`` …), ordering,
the public ORM methods exposed over RPC (``search``, ``read``, ``search_read``, ``search_count``,
``read_group``, ``create``, ``write``, ``unlink``, ``name_search``, ``fields_get``, ``default_get``),
x2many command tuples, ``_inherits`` delegation (product.product → product.template) and the per-call
transaction: every change goes through :class:`Database` and is recorded in an undo log so that a failed
``execute_kw`` rolls back exactly what it did, without copying the database.

Storage conventions: an empty value is ``False``; a many2one holds an ``int`` id; a many2many holds a list of
ids; one2many values are never stored (they are derived from the inverse many2one through an index);
datetimes are naive UTC :class:`datetime.datetime` truncated to seconds; dates are :class:`datetime.date`.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Iterable, Iterator
from typing import Any, ClassVar

from markupsafe import Markup

from .exceptions import AccessError, MissingError, UserError, ValidationError

#: Server formats of the external API (naive UTC).
DATETIME_FORMAT = "%Y-%m-%d %H:%M:%S"
DATE_FORMAT = "%Y-%m-%d"
DATE_LENGTH = len("2026-01-01")
DATETIME_LENGTH = len("2026-01-01 00:00:00")
#: OdooBot and the admin user of a fresh database.
SUPERUSER_ID = 1
ADMIN_UID = 2
#: Fields every model has.
MAGIC_FIELDS = ("id", "display_name", "create_date", "create_uid", "write_date", "write_uid")
RELATIONAL_TYPES = frozenset({"many2one", "one2many", "many2many"})
X2MANY_TYPES = frozenset({"one2many", "many2many"})
NUMERIC_TYPES = frozenset({"integer", "float", "monetary"})
TEXT_TYPES = frozenset({"char", "text", "html", "selection"})
#: Default ``limit`` of ``name_search``.
NAME_SEARCH_LIMIT = 100
#: read_group aggregate functions supported.
AGGREGATES = frozenset({"sum", "min", "max", "avg", "count", "count_distinct", "bool_and", "bool_or"})

_TZ_SUFFIX = re.compile(r"(Z|[+-]\d{2}:?\d{2})$")
_ORDER_TERM = re.compile(r"^\s*([a-z0-9_]+)(?:\s+(asc|desc))?(?:\s+nulls\s+(first|last))?\s*$", re.I)
_AGG_SPEC = re.compile(r"^(\w+)(?::(\w+))?(?:\((\w+)\))?$")


# --------------------------------------------------------------------------------------------- fields


class Field:
    """One field declaration; the attribute name is filled in by the model class."""

    def __init__(
        self,
        type_: str,
        string: str = "",
        *,
        relation: str | None = None,
        inverse_name: str | None = None,
        selection: list[tuple[str, str]] | None = None,
        required: bool = False,
        readonly: bool = False,
        default: Any = None,
        compute: str | None = None,
        inverse: str | None = None,
        related: str | None = None,
        store: bool | None = None,
        ondelete: str | None = None,
        index: bool = False,
        domain: list[Any] | None = None,
    ) -> None:
        self.type = type_
        self.string = string
        self.relation = relation
        self.inverse_name = inverse_name
        self.selection = selection
        self.required = required
        self.default = default
        self.compute = compute
        self.inverse = inverse
        self.related = related
        # like odoo.fields.Many2one: a required many2one defaults to 'restrict', an optional one to 'set null'
        self.ondelete = ondelete or ("restrict" if required and type_ == "many2one" else "set null")
        self.index = index or type_ == "many2one"
        self.domain = domain
        #: (parent model, link field) when the field lives on an ``_inherits`` parent.
        self.delegate: tuple[str, str] | None = None
        computed = compute is not None or related is not None or type_ == "one2many"
        self.store = (not computed) if store is None else store
        self.readonly = readonly or ((compute is not None or related is not None) and inverse is None)
        self.name = ""
        #: a stored, non-relational, non-computed field, read straight from the row (set by the registry)
        self.plain = False

    def is_plain(self) -> bool:
        return (
            self.store
            and self.delegate is None
            and self.compute is None
            and self.related is None
            and self.type not in RELATIONAL_TYPES
            and self.name != "id"
        )

    def copy_delegated(self, parent: str, link: str) -> Field:
        clone = Field.__new__(Field)
        clone.__dict__.update(self.__dict__)
        clone.delegate = (parent, link)
        clone.store = False
        clone.plain = False
        return clone

    def describe(self) -> dict[str, Any]:
        """The ``fields_get`` description."""
        desc: dict[str, Any] = {
            "type": self.type,
            "string": self.string or self.name.replace("_", " ").title(),
            "required": self.required,
            "readonly": self.readonly,
            "store": self.store or self.delegate is not None,
            "searchable": True,
            "sortable": self.store,
            "help": "",
        }
        if self.relation:
            desc["relation"] = self.relation
        if self.inverse_name:
            desc["relation_field"] = self.inverse_name
        if self.selection is not None:
            desc["selection"] = [list(pair) for pair in self.selection]
        return desc


def Char(string: str = "", **kw: Any) -> Any:
    return Field("char", string, **kw)


def Text(string: str = "", **kw: Any) -> Any:
    return Field("text", string, **kw)


def Html(string: str = "", **kw: Any) -> Any:
    return Field("html", string, **kw)


def Integer(string: str = "", **kw: Any) -> Any:
    return Field("integer", string, **kw)


def Float(string: str = "", **kw: Any) -> Any:
    return Field("float", string, **kw)


def Monetary(string: str = "", **kw: Any) -> Any:
    return Field("monetary", string, **kw)


def Boolean(string: str = "", **kw: Any) -> Any:
    return Field("boolean", string, **kw)


def Date(string: str = "", **kw: Any) -> Any:
    return Field("date", string, **kw)


def Datetime(string: str = "", **kw: Any) -> Any:
    return Field("datetime", string, **kw)


def Binary(string: str = "", **kw: Any) -> Any:
    return Field("binary", string, **kw)


def Selection(selection: list[tuple[str, str]], string: str = "", **kw: Any) -> Any:
    return Field("selection", string, selection=selection, **kw)


def Many2one(relation: str, string: str = "", **kw: Any) -> Any:
    return Field("many2one", string, relation=relation, **kw)


def One2many(relation: str, inverse_name: str, string: str = "", **kw: Any) -> Any:
    return Field("one2many", string, relation=relation, inverse_name=inverse_name, **kw)


def Many2many(relation: str, string: str = "", **kw: Any) -> Any:
    return Field("many2many", string, relation=relation, **kw)


# Field constructors return ``Any`` so that, in model code, ``record.partner_id`` type-checks like the value
# it yields at run time (the declarations are collected by ``Model.__init_subclass__``).

# ------------------------------------------------------------------------------------------ decorators


def exposed(fn: Callable[..., Any]) -> Callable[..., Any]:
    """Mark a method as callable over RPC (on records: ``args[0]`` is the id list)."""
    fn._rpc = True  # type: ignore[attr-defined]
    return fn


def model_method(fn: Callable[..., Any]) -> Callable[..., Any]:
    """Mark a method as an ``@api.model`` method callable over RPC (no ids in ``args``)."""
    fn._rpc = True  # type: ignore[attr-defined]
    fn._api_model = True  # type: ignore[attr-defined]
    return fn


def returns_id(fn: Callable[..., Any]) -> Callable[..., Any]:
    """Like ``@api.returns(..., lambda v: v.id)``: a returned recordset becomes its id over RPC."""
    fn._returns = "id"  # type: ignore[attr-defined]
    return fn


def returns_ids(fn: Callable[..., Any]) -> Callable[..., Any]:
    """A returned recordset becomes its id list over RPC (``search``)."""
    fn._returns = "ids"  # type: ignore[attr-defined]
    return fn


# ------------------------------------------------------------------------------------------ conversion


def format_datetime(value: dt.datetime) -> str:
    return value.strftime(DATETIME_FORMAT)


def parse_datetime(value: Any) -> Any:
    """Convert a written value like ``fields.Datetime.to_datetime`` does (no 'T', no offsets)."""
    if not value:
        return False
    if isinstance(value, dt.datetime):
        return value.replace(microsecond=0, tzinfo=None)
    if isinstance(value, dt.date):
        return dt.datetime(value.year, value.month, value.day)
    text = str(value)[:DATETIME_LENGTH]
    if len(text) == DATE_LENGTH:
        text += " 00:00:00"
    return dt.datetime.strptime(text, DATETIME_FORMAT)


def parse_date(value: Any) -> Any:
    if not value:
        return False
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    return dt.datetime.strptime(str(value)[:DATE_LENGTH], DATE_FORMAT).date()


def parse_domain_datetime(value: Any) -> Any:
    """Domain values are parsed leniently, as PostgreSQL does: 'T' separator, fractions; offsets ignored."""
    if not value or isinstance(value, dt.datetime):
        return value
    text = _TZ_SUFFIX.sub("", str(value).strip()).replace("T", " ")
    for fmt in ("%Y-%m-%d %H:%M:%S.%f", DATETIME_FORMAT, "%Y-%m-%d %H:%M", DATE_FORMAT):
        try:
            return dt.datetime.strptime(text, fmt)
        except ValueError:
            continue
    raise ValueError(f"invalid input syntax for type timestamp: {value!r}")


_LEADING_TAG = re.compile(r"<\s*([a-zA-Z][a-zA-Z0-9]*)")
#: elements lxml keeps as the fragment root; other leading tags get a ``<span>`` parent
_BLOCK_TAGS = frozenset(
    {"p", "div", "ul", "ol", "li", "table", "blockquote", "pre", "h1", "h2", "h3", "h4", "h5", "h6",
     "section", "article", "header", "footer", "hr", "dl", "figure", "address"}
)  # fmt: skip


def sanitize_html(value: str) -> str:
    """What 17.0's ``html_sanitize`` does to an Html field's value, for the shapes the hub sends (verified):
    ``'a\nb'`` → ``'<p>a\nb</p>'``, ``'  x  '`` → ``'<p>x  </p>'``, ``'<b>x</b> y'`` →
    ``'<span><b>x</b> y</span>'``, ``'<p>a</p>b'`` unchanged, ``''`` stays empty."""
    text = value.lstrip()
    if not text:
        return ""
    match = _LEADING_TAG.match(text)
    if match is None:
        return f"<p>{text}</p>"
    if match.group(1).lower() in _BLOCK_TAGS:
        return text
    return f"<span>{text}</span>"


class _LoadFieldError(ValueError):
    """An import cell refused by ``load``; Odoo names the column in the message's ``field``."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


def _normalize_domain(domain: list[Any]) -> list[Any]:
    """``expression.normalize_domain``: make the implicit ``&`` between top-level terms explicit."""
    if not domain:
        return []
    result: list[Any] = []
    expected = 1
    for item in domain:
        if expected == 0:  # more terms than the operators announced: an implicit '&'
            result[0:0] = ["&"]
            expected = 1
        if isinstance(item, str) and item in ("&", "|"):
            expected += 1
        elif not (isinstance(item, str) and item == "!"):
            expected -= 1
        result.append(item)
    return result


def _and_domains(*domains: list[Any]) -> list[Any]:
    """``expression.AND``: the normalized non-empty domains joined with ``&`` prefixes."""
    parts = [_normalize_domain(d) for d in domains if d]
    out: list[Any] = ["&"] * (len(parts) - 1)
    for part in parts:
        out += part
    return out


def like_regex(pattern: str, *, wrap: bool, ignore_case: bool) -> re.Pattern[str]:
    """Translate an SQL LIKE pattern ('%', '_') to a regex; ``wrap`` adds Odoo's implicit '%…%'."""
    if wrap:
        pattern = f"%{pattern}%"
    out = []
    escaped = False
    for char in pattern:
        if escaped:  # PostgreSQL's default LIKE escape character is the backslash
            out.append(re.escape(char))
            escaped = False
        elif char == "\\":
            escaped = True
        elif char == "%":
            out.append(".*")
        elif char == "_":
            out.append(".")
        else:
            out.append(re.escape(char))
    return re.compile("".join(out), (re.I if ignore_case else 0) | re.S)


# ------------------------------------------------------------------------------------------ database


UndoEntry = tuple[Any, ...]


class Database:
    """Tables, id counters, indexes and the undo log of the running transaction."""

    def __init__(self, registry: Registry, name: str) -> None:
        self.registry = registry
        self.name = name
        self.tables: dict[str, dict[int, dict[str, Any]]] = {m: {} for m in registry.models}
        #: Id sequences are not transactional (like PostgreSQL sequences): a rollback does not reuse ids.
        self.next_ids: dict[str, int] = {m: 1 for m in registry.models}
        self.indexes: dict[tuple[str, str], dict[Any, set[int]]] = {}
        for model, cls in registry.models.items():
            for fname, field in cls._fields.items():
                if field.store and field.index and field.delegate is None:
                    self.indexes[(model, fname)] = {}
        self.undo: list[UndoEntry] | None = None
        self._start_clock()

    def _start_clock(self) -> None:
        #: ``cr.now()``: the transaction start time with microseconds, what create_date/write_date store
        self.now_exact = dt.datetime.now(dt.UTC).replace(tzinfo=None)
        #: ``fields.Datetime.now()``: the same instant truncated to seconds, for business datetimes
        self.now = self.now_exact.replace(microsecond=0)

    # transaction ---------------------------------------------------------------------------------
    def begin(self) -> None:
        self.undo = []
        self._start_clock()

    def commit(self) -> None:
        self.undo = None

    def rollback(self) -> None:
        log, self.undo = self.undo or [], None
        for entry in reversed(log):
            kind = entry[0]
            if kind == "insert":
                _, model, rid = entry
                self._delete(model, rid)
            elif kind == "set":
                _, model, rid, fname, old, had = entry
                self._set(model, rid, fname, old, had)
            elif kind == "delete":
                _, model, rid, row = entry
                self._insert(model, rid, row)

    def savepoint(self) -> int:
        """A mark in the current transaction that :meth:`rollback_to` can return to."""
        return len(self.undo) if self.undo is not None else 0

    def rollback_to(self, mark: int) -> None:
        """Undo what the current transaction did after ``mark`` (``cr.savepoint()`` rolled back)."""
        if self.undo is None:
            return
        log, self.undo = self.undo[mark:], self.undo[:mark]
        undo, self.undo = self.undo, None
        for entry in reversed(log):
            kind = entry[0]
            if kind == "insert":
                _, model, rid = entry
                self._delete(model, rid)
            elif kind == "set":
                _, model, rid, fname, old, had = entry
                self._set(model, rid, fname, old, had)
            elif kind == "delete":
                _, model, rid, row = entry
                self._insert(model, rid, row)
        self.undo = undo

    # primitive operations (all changes go through these) -----------------------------------------
    def insert(self, model: str, row: dict[str, Any], rid: int | None = None) -> int:
        if rid is None:
            rid = self.next_ids[model]
        self.next_ids[model] = max(self.next_ids[model], rid + 1)
        self._insert(model, rid, row)
        if self.undo is not None:
            self.undo.append(("insert", model, rid))
        return rid

    def write_value(self, model: str, rid: int, fname: str, value: Any) -> None:
        row = self.tables[model][rid]
        had = fname in row
        old = row.get(fname, False)
        if self.undo is not None:
            self.undo.append(("set", model, rid, fname, old, had))
        self._set(model, rid, fname, value, True)

    def delete(self, model: str, rid: int) -> None:
        row = self.tables[model][rid]
        if self.undo is not None:
            self.undo.append(("delete", model, rid, dict(row)))
        self._delete(model, rid)

    def _insert(self, model: str, rid: int, row: dict[str, Any]) -> None:
        self.tables[model][rid] = row
        for fname, value in row.items():
            index = self.indexes.get((model, fname))
            if index is not None:
                index.setdefault(_index_key(value), set()).add(rid)

    def _set(self, model: str, rid: int, fname: str, value: Any, present: bool) -> None:
        row = self.tables[model][rid]
        index = self.indexes.get((model, fname))
        if index is not None:
            old_key = _index_key(row.get(fname, False))
            bucket = index.get(old_key)
            if bucket is not None:
                bucket.discard(rid)
        if present:
            row[fname] = value
        else:
            row.pop(fname, None)
        if index is not None:
            index.setdefault(_index_key(row.get(fname, False)), set()).add(rid)

    def _delete(self, model: str, rid: int) -> None:
        row = self.tables[model].pop(rid)
        for fname, value in row.items():
            index = self.indexes.get((model, fname))
            if index is not None:
                index.get(_index_key(value), set()).discard(rid)

    def lookup(self, model: str, fname: str, value: Any) -> set[int] | None:
        """Ids whose indexed field equals ``value``; ``None`` when the field is not indexed."""
        index = self.indexes.get((model, fname))
        if index is None:
            return None
        return index.get(_index_key(value), set())


def _index_key(value: Any) -> Any:
    return value if value is not None else False


class Registry:
    """The model classes by ``_name``, finalised (magic fields, delegated fields, field names)."""

    def __init__(self, classes: Iterable[type[Model]]) -> None:
        self.models: dict[str, type[Model]] = {}
        for cls in classes:
            self.models[cls._name] = cls
        for cls in self.models.values():
            cls._fields = dict(cls._fields)
            for fname, field in cls._fields.items():
                field.name = fname
            magic: dict[str, Field] = {
                "id": Field("integer", "ID", readonly=True),
                "display_name": Field("char", "Display Name", compute="_compute_display_name"),
                "create_date": Field("datetime", "Created on", readonly=True),
                "create_uid": Field("many2one", "Created by", relation="res.users", readonly=True),
                "write_date": Field("datetime", "Last Updated on", readonly=True),
                "write_uid": Field("many2one", "Last Updated by", relation="res.users", readonly=True),
            }
            for fname, field in magic.items():
                field.name = fname
                cls._fields.setdefault(fname, field)
            cls._fields["id"].store = False
        for cls in self.models.values():
            for parent, link in cls._inherits.items():
                for fname, field in self.models[parent]._fields.items():
                    if fname not in cls._fields:
                        cls._fields[fname] = field.copy_delegated(parent, link)
        for cls in self.models.values():
            for fname, field in cls._fields.items():
                field.plain = field.is_plain()
                if not any(fname in vars(klass) for klass in cls.__mro__):
                    setattr(cls, fname, _FieldAccess(field))
        #: one2many fields pointing at each (comodel, inverse) pair, used to cascade on unlink.
        self.inverse_m2m: dict[str, list[tuple[str, str]]] = {}
        for name, cls in self.models.items():
            for fname, field in cls._fields.items():
                if field.type == "many2many" and field.store and field.relation:
                    self.inverse_m2m.setdefault(field.relation, []).append((name, fname))


class _FieldAccess:
    """``record.<field>`` on a finalised model class: a data descriptor, so reading a field does not go through
    a failed attribute look-up and ``__getattr__`` (the emulator's hottest path), and assigning one fails
    loudly instead of hiding the value in the instance (write through ``write``, as in Odoo)."""

    __slots__ = ("field",)

    def __init__(self, field: Field) -> None:
        self.field = field

    def __get__(self, record: Any, owner: Any = None) -> Any:
        if record is None:
            return self.field
        return record._field_value(self.field)

    def __set__(self, record: Any, value: Any) -> None:
        raise AttributeError(f"{self.field.name}: assign fields with write(), not attribute assignment")


# ------------------------------------------------------------------------------------------ environment


class Env:
    """Database + user + context, like ``odoo.api.Environment`` (one per call)."""

    def __init__(self, db: Database, uid: int, context: dict[str, Any] | None = None) -> None:
        self.db = db
        self.uid = uid
        self.context: dict[str, Any] = dict(context or {})

    def __getitem__(self, model: str) -> Model:
        cls = self.db.registry.models.get(model)
        if cls is None:
            raise KeyError(model)
        return cls(self, ())

    def __contains__(self, model: str) -> bool:
        return model in self.db.registry.models

    def with_context(self, ctx: dict[str, Any]) -> Env:
        return Env(self.db, self.uid, ctx)

    @property
    def now(self) -> dt.datetime:
        """The transaction start time, naive UTC, truncated to seconds (what RPC returns)."""
        return self.db.now

    @property
    def today(self) -> dt.date:
        return self.db.now.date()

    @property
    def user(self) -> Model:
        return self["res.users"].browse(self.uid)

    @property
    def company(self) -> Model:
        return self["res.company"].browse(self.user.company_id.id or 1)

    def ref(self, xmlid: str) -> Model:
        module, _, name = xmlid.partition(".")
        for rid in self.db.lookup("ir.model.data", "name", name) or ():
            row = self.db.tables["ir.model.data"][rid]
            if row["module"] == module:
                return self[row["model"]].browse(row["res_id"])
        raise ValueError(f"External ID not found in the system: {xmlid}")


# ------------------------------------------------------------------------------------------ models


class Model:
    """A recordset: an ordered tuple of ids of one model in one environment."""

    __slots__ = ("env", "_ids")

    _name: ClassVar[str] = ""
    _description: ClassVar[str] = ""
    _order: ClassVar[str] = "id"
    _rec_name: ClassVar[str] = "name"
    _parent_name: ClassVar[str] = "parent_id"
    _inherits: ClassVar[dict[str, str]] = {}
    _transient: ClassVar[bool] = False
    _fields: ClassVar[dict[str, Field]] = {}
    _own_fields: ClassVar[dict[str, Field]] = {}

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        own = {k: v for k, v in list(vars(cls).items()) if isinstance(v, Field)}
        for k in own:
            delattr(cls, k)
        cls._own_fields = own
        merged: dict[str, Field] = {}
        for base in reversed(cls.__mro__):
            merged.update(vars(base).get("_own_fields", {}))
        cls._fields = merged

    def __init__(self, env: Env, ids: Iterable[int]) -> None:
        self.env = env
        self._ids = tuple(ids)

    # recordset protocol --------------------------------------------------------------------------
    @property
    def ids(self) -> list[int]:
        return list(self._ids)

    @property
    def id(self) -> Any:
        if not self._ids:
            return False
        self.ensure_one()
        return self._ids[0]

    def __iter__(self) -> Iterator[Any]:
        cls = type(self)
        for rid in self._ids:
            yield cls(self.env, (rid,))

    def __len__(self) -> int:
        return len(self._ids)

    def __bool__(self) -> bool:
        return bool(self._ids)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Model) and other._name == self._name and set(other._ids) == set(self._ids)

    def __hash__(self) -> int:
        return hash((self._name, frozenset(self._ids)))

    def __repr__(self) -> str:
        return f"{self._name}{self._ids!r}"

    def __or__(self, other: Model) -> Any:
        seen = dict.fromkeys(self._ids + other._ids)
        return self.browse(list(seen))

    def __sub__(self, other: Model) -> Any:
        drop = set(other._ids)
        return self.browse([i for i in self._ids if i not in drop])

    def __getitem__(self, key: int | slice) -> Any:
        if isinstance(key, slice):
            return self.browse(self._ids[key])
        return self.browse(self._ids[key])

    def browse(self, ids: Any) -> Any:
        if ids is False or ids is None:
            ids = ()
        elif isinstance(ids, int):
            ids = (ids,)
        return type(self)(self.env, ids)

    def with_context(self, ctx: dict[str, Any] | None = None, **kwargs: Any) -> Any:
        merged = dict(self.env.context if ctx is None else ctx)
        merged.update(kwargs)
        return type(self)(self.env.with_context(merged), self._ids)

    def ensure_one(self) -> Any:
        if len(self._ids) != 1:
            raise ValueError(f"Expected singleton: {self!r}")
        return self

    def exists(self) -> Any:
        table = self._table
        return self.browse([i for i in self._ids if i in table])

    def filtered(self, func: Callable[[Any], Any] | str) -> Any:
        if isinstance(func, str):
            name = func
            return self.browse([r.id for r in self if getattr(r, name)])
        return self.browse([r.id for r in self if func(r)])

    def mapped(self, name: str) -> Any:
        field = self._fields[name]
        if field.type in RELATIONAL_TYPES:
            result = self.env[field.relation or ""]
            for rec in self:
                result = result | getattr(rec, name)
            return result
        return [getattr(rec, name) for rec in self]

    def sorted(self, key: Callable[[Any], Any], reverse: bool = False) -> Any:
        return self.browse([r.id for r in sorted(self, key=key, reverse=reverse)])

    @property
    def _table(self) -> dict[int, dict[str, Any]]:
        return self.env.db.tables[self._name]

    def _row(self) -> dict[str, Any]:
        try:
            return self._table[self._ids[0]]
        except KeyError:
            raise self._missing_error([self._ids[0]]) from None

    def _missing_error(self, ids: list[int]) -> MissingError:
        return MissingError(
            "Record does not exist or has been deleted.\n"
            f"(Record: {self._name}{tuple(ids)!r}, User: {self.env.uid})"
        )

    # field access --------------------------------------------------------------------------------
    def __getattr__(self, name: str) -> Any:
        field = type(self)._fields.get(name)
        if field is None:
            raise AttributeError(f"'{self._name}' object has no attribute '{name}'")
        return self._field_value(field)

    def _field_value(self, field: Field) -> Any:
        ids = self._ids
        if not ids:
            if field.type in RELATIONAL_TYPES:
                return self.env[field.relation or ""]
            return False
        if len(ids) != 1:
            raise ValueError(f"Expected singleton: {self!r}")
        if field.plain:  # a stored scalar: the row value, nothing to compute
            try:
                return self.env.db.tables[self._name][ids[0]].get(field.name, False)
            except KeyError:
                raise self._missing_error([ids[0]]) from None
        return self._get(field)

    def _get(self, field: Field) -> Any:
        name = field.name
        if name == "id":
            return self._ids[0]
        if field.delegate is not None:
            return getattr(getattr(self, field.delegate[1]), name)
        if field.related is not None:
            value: Any = self
            for part in field.related.split("."):
                value = getattr(value, part) if value else False
            if field.type in RELATIONAL_TYPES and not isinstance(value, Model):
                return self.env[field.relation or ""]
            return value
        if field.compute is not None:
            value = getattr(self, field.compute)()
            if field.type in RELATIONAL_TYPES and not isinstance(value, Model):
                return self.env[field.relation or ""].browse(value or [])
            return value
        if field.type == "one2many":
            return self.env[field.relation or ""].browse(self._o2m_ids(field, self._ids[0]))
        raw = self._row().get(name, False)
        if field.type == "many2one":
            comodel = self.env.db.registry.models[field.relation or ""]
            return comodel(self.env, (raw,) if raw else ())
        if field.type == "many2many":
            comodel = self.env.db.registry.models[field.relation or ""]
            return comodel(self.env, tuple(raw or ()))
        return raw

    def _o2m_ids(self, field: Field, rid: int) -> list[int]:
        ids = self.env.db.lookup(field.relation or "", field.inverse_name or "", rid) or set()
        return sorted(ids)

    def _raw(self, field: Field, rid: int) -> Any:
        """Value used by domains: ids for relational fields, raw scalars otherwise."""
        if field.store:
            row = self._table.get(rid)
            if row is None:
                return False
            return row.get(field.name, False)
        if field.name == "id":
            return rid
        if field.type == "one2many" and field.compute is None and field.related is None:
            return self._o2m_ids(field, rid)
        value = self.browse(rid)._get(field)
        if isinstance(value, Model):
            return value.ids if field.type in X2MANY_TYPES else (value.id if value else False)
        return value

    def _compute_display_name(self) -> str:
        rec_name = self._rec_name
        if rec_name in self._fields:
            value = getattr(self, rec_name)
            if value:
                return str(value)
        return f"{self._name},{self.id}"

    def _convert_to_read(
        self,
        field: Field,
        load: str | None = "_classic_read",
        names: dict[tuple[str, int], str] | None = None,
    ) -> Any:
        """The RPC form of one field; ``names`` memoises many2one display names within one ``read``."""
        value = self._field_value(field) if field.plain else self._get(field)
        if field.type == "many2one":
            if not value:
                return False
            if load != "_classic_read":  # 17.0 ``read``: only the default load adds display names
                return value.id
            if names is None:
                return [value.id, value.display_name]
            key = (value._name, value.id)
            if key not in names:
                names[key] = value.display_name
            return [value.id, names[key]]
        if field.type in X2MANY_TYPES:
            return value.ids
        if value is None:
            return False
        if field.type == "datetime" and value:
            return format_datetime(value)
        if field.type == "date" and value:
            return value.strftime(DATE_FORMAT)
        if field.type in ("float", "monetary"):
            return float(value or 0.0)
        if field.type == "integer":
            return int(value or 0)
        return value

    # write-side conversion -----------------------------------------------------------------------
    def _convert_to_cache(self, field: Field, value: Any) -> Any:
        ftype = field.type
        if ftype == "many2one":
            if isinstance(value, Model):
                value = value.id
            if isinstance(value, (list, tuple)):
                value = value[0] if value else False
            if not value:
                return False
            rid = int(value)
            if rid not in self.env.db.tables[field.relation or ""]:
                raise ValidationError(
                    "The operation cannot be completed: another model requires the record being deleted. "
                    "If possible, archive it instead.\n\n"
                    f"Model: {self._description or self._name} ({self._name})\n"
                    f"Field: {field.string or field.name} ({field.name})"
                )
            return rid
        if ftype in NUMERIC_TYPES:
            if value is False or value is None:
                return 0 if ftype == "integer" else 0.0
            return int(value) if ftype == "integer" else float(value)
        if ftype == "boolean":
            return bool(value)
        if ftype == "datetime":
            return parse_datetime(value)
        if ftype == "date":
            return parse_date(value)
        if ftype == "selection":
            if value in (False, None, ""):
                return False
            allowed = {key for key, _ in field.selection or []}
            if value not in allowed:
                raise ValueError(f"Wrong value for {self._name}.{field.name}: {value!r}")
            return value
        if ftype == "html":
            if value is None or value is False:
                return False
            if isinstance(value, Markup):  # the emulator's own notes are already in Odoo's sanitized shape
                return str(value)
            return sanitize_html(str(value))
        if ftype in ("char", "text", "binary"):
            if value is None or value is False:
                return False
            return value if type(value) is str else str(value)
        return value

    def _check_field_names(self, vals: dict[str, Any]) -> None:
        for fname in vals:
            if fname not in self._fields:
                raise ValueError(f"Invalid field {fname!r} on model {self._name!r}")

    def _default_values(self, provided: dict[str, Any]) -> dict[str, Any]:
        values: dict[str, Any] = {}
        for fname, field in self._fields.items():
            if fname in provided or fname in MAGIC_FIELDS:
                continue
            ctx_key = f"default_{fname}"
            if ctx_key in self.env.context:
                values[fname] = self.env.context[ctx_key]
            elif field.default is not None and (field.store or field.type in X2MANY_TYPES):
                default = field.default
                values[fname] = default(self) if callable(default) else default
        return values

    # CRUD ----------------------------------------------------------------------------------------
    @model_method
    def create(self, vals_list: dict[str, Any] | list[dict[str, Any]]) -> Any:
        """Create records; over RPC a dict gives an id and a list gives a list of ids."""
        if isinstance(vals_list, dict):
            vals_list = [vals_list]
        db = self.env.db
        new_ids: list[int] = []
        for vals_in in vals_list:
            vals = dict(vals_in)
            self._check_field_names(vals)
            vals = {**self._default_values(vals), **vals}
            parent_writes: list[tuple[Model, dict[str, Any]]] = []
            for parent_model, link in self._inherits.items():
                pvals = {k: vals.pop(k) for k in list(vals) if _delegated_to(self._fields[k], parent_model)}
                if vals.get(link):
                    if pvals:
                        parent_writes.append((self.env[parent_model].browse(int(vals[link])), pvals))
                else:
                    parent = (
                        self.env[parent_model]
                        .with_context(self.env.context, create_product_product=False)
                        .create(pvals)
                    )
                    vals[link] = parent.id
            row: dict[str, Any] = {}
            later: dict[str, Any] = {}
            for fname, value in vals.items():
                field = self._fields[fname]
                if field.type in X2MANY_TYPES or field.inverse:
                    later[fname] = value
                elif field.store:
                    row[fname] = self._convert_to_cache(field, value)
            for fname, field in self._fields.items():
                if field.store and fname not in row and fname not in MAGIC_FIELDS:
                    row[fname] = [] if field.type == "many2many" else self._convert_to_cache(field, False)
            self._check_required(row)
            row["create_date"] = row["write_date"] = self.env.db.now_exact
            row["create_uid"] = row["write_uid"] = self.env.uid
            rid = db.insert(self._name, row)
            new_ids.append(rid)
            record = self.browse(rid)
            for parent, pvals in parent_writes:
                parent.write(pvals)
            for fname, value in later.items():
                field = self._fields[fname]
                if field.type in X2MANY_TYPES:
                    record._apply_x2many(field, value)
                else:
                    getattr(record, field.inverse or "")(value)
        records = self.browse(new_ids)
        records._validate(set().union(*(v.keys() for v in vals_list)) if vals_list else set())
        return records

    def _check_required(self, row: dict[str, Any]) -> None:
        for fname, field in self._fields.items():
            if field.required and field.store and field.type not in ("boolean", *NUMERIC_TYPES):
                if row.get(fname) in (False, None, ""):
                    raise ValidationError(
                        "The operation cannot be completed:\n"
                        "- Create/update: a mandatory field is not set.\n"
                        "- Delete: another model requires the record being deleted. "
                        "If possible, archive it instead.\n\n"
                        f"Model: {self._description or self._name} ({self._name})\n"
                        f"Field: {field.string or fname} ({fname})\n"
                    )

    def _validate(self, fnames: set[str]) -> None:
        """Python constraints hook; models override ``_check`` (receives the written field names)."""
        self._check(fnames)

    def _check(self, fnames: set[str]) -> None:
        return None

    @exposed
    def write(self, vals: dict[str, Any]) -> bool:
        """Write ``vals`` on every record; a missing id raises MissingError."""
        if not self._ids:
            return True
        self._check_field_names(vals)
        table = self._table
        missing = [i for i in self._ids if i not in table]
        if missing:
            raise self._missing_error(missing)
        db = self.env.db
        parent_vals: dict[str, dict[str, Any]] = {}
        plain: dict[str, Any] = {}
        later: dict[str, Any] = {}
        for fname, value in vals.items():
            field = self._fields[fname]
            if field.delegate is not None:
                parent_vals.setdefault(field.delegate[1], {})[fname] = value
            elif field.type in X2MANY_TYPES or field.inverse:
                later[fname] = value
            elif field.store:
                plain[fname] = self._convert_to_cache(field, value)
        for rid in self._ids:
            for fname, value in plain.items():
                db.write_value(self._name, rid, fname, list(value) if isinstance(value, list) else value)
            if plain and any(self._fields[f].required for f in plain):
                self.browse(rid)._check_required(table[rid])
            db.write_value(self._name, rid, "write_date", db.now_exact)
            db.write_value(self._name, rid, "write_uid", self.env.uid)
        for link, pvals in parent_vals.items():
            parents = self.env[self._fields[link].relation or ""]
            for rec in self:
                parents = parents | getattr(rec, link)
            parents.write(pvals)
        for fname, value in later.items():
            field = self._fields[fname]
            for rec in self:
                if field.type in X2MANY_TYPES:
                    rec._apply_x2many(field, value)
                else:
                    getattr(rec, field.inverse or "")(value)
        self._validate(set(vals))
        return True

    def _touch(self) -> None:
        """Bump write_date as a recomputed stored field does."""
        for rid in self._ids:
            self.env.db.write_value(self._name, rid, "write_date", self.env.db.now_exact)

    def _write_if_changed(self, vals: dict[str, Any]) -> None:
        """Write only the values that differ (stored computes bump write_date only when they change)."""
        for rec in self:
            changed = {}
            for fname, value in vals.items():
                field = self._fields[fname]
                current = rec._table[rec.id].get(fname, False)
                if current != rec._convert_to_cache(field, value):
                    changed[fname] = value
            if changed:
                rec.write(changed)

    @exposed
    def unlink(self) -> bool:
        db = self.env.db
        existing = [i for i in self._ids if i in self._table]
        if not existing:
            return True
        registry = db.registry
        for model, cls in registry.models.items():
            for fname, field in cls._fields.items():
                if field.type != "many2one" or field.relation != self._name or not field.store:
                    continue
                for rid in existing:
                    referencing = list(db.lookup(model, fname, rid) or ())
                    if not referencing:
                        continue
                    if field.ondelete == "cascade":
                        self.env[model].browse(referencing).exists().unlink()
                    elif field.ondelete == "restrict":  # PostgreSQL's foreign key, as Odoo reports it
                        raise ValidationError(
                            "The operation cannot be completed: another model requires the record being "
                            "deleted. If possible, archive it instead.\n\n"
                            f"Model: {cls._description or model} ({model})\n"
                            f"Constraint: {model.replace('.', '_')}_{fname}_fkey\n"
                        )
                    else:
                        for ref in referencing:
                            if ref in db.tables[model]:
                                db.write_value(model, ref, fname, False)
        gone = set(existing)
        for model, fname in registry.inverse_m2m.get(self._name, []):
            for ref, row in list(db.tables[model].items()):
                current = row.get(fname) or []
                if gone.intersection(current):
                    db.write_value(model, ref, fname, [i for i in current if i not in gone])
        for rid in existing:
            if rid in self._table:
                db.delete(self._name, rid)
        return True

    def _apply_x2many(self, field: Field, commands: Any) -> None:
        comodel = self.env[field.relation or ""]
        is_o2m = field.type == "one2many"
        inverse = field.inverse_name or ""
        rid = self.id
        current: list[int] = (
            comodel.browse(self._raw(field, rid)).ids if not is_o2m else self._o2m_ids(field, rid)
        )
        if commands is False or commands is None:
            commands = [[5]]
        if commands and all(isinstance(c, int) for c in commands):
            commands = [[6, 0, list(commands)]]
        result = list(current)
        for command in commands:
            if not isinstance(command, (list, tuple)) or not command:
                raise ValueError(f"Invalid x2many command {command!r}")
            code = command[0]
            if code == 0:
                vals = dict(command[2] if len(command) > 2 else {})
                if is_o2m:
                    vals[inverse] = rid
                new = comodel.create(vals)
                result.append(new.id)
            elif code == 1:
                comodel.browse(int(command[1])).write(command[2])
            elif code == 2:
                comodel.browse(int(command[1])).unlink()
                result = [i for i in result if i != command[1]]
            elif code == 3:
                target = int(command[1])
                if is_o2m:
                    inv_field = comodel._fields[inverse]
                    if inv_field.ondelete == "cascade" or inv_field.required:
                        comodel.browse(target).unlink()
                    else:
                        comodel.browse(target).write({inverse: False})
                result = [i for i in result if i != target]
            elif code == 4:
                target = int(command[1])
                if is_o2m:
                    comodel.browse(target).write({inverse: rid})
                if target not in result:
                    result.append(target)
            elif code == 5:
                if is_o2m:
                    comodel.browse(result).exists()._detach_or_delete(inverse)
                result = []
            elif code == 6:
                new_ids = [int(i) for i in (command[2] or [])]
                if is_o2m:
                    dropped = [i for i in result if i not in new_ids]
                    comodel.browse(dropped).exists()._detach_or_delete(inverse)
                    for target in new_ids:
                        comodel.browse(target).write({inverse: rid})
                result = new_ids
            else:
                raise ValueError(f"Invalid x2many command {command!r}")
        if not is_o2m:
            missing = [i for i in result if i not in comodel._table]
            if missing:
                raise comodel._missing_error(missing)
            self.env.db.write_value(self._name, rid, field.name, list(dict.fromkeys(result)))

    def _detach_or_delete(self, inverse: str) -> None:
        field = self._fields[inverse]
        if field.ondelete == "cascade" or field.required:
            self.unlink()
        else:
            self.write({inverse: False})

    # search --------------------------------------------------------------------------------------
    def _search_ids(
        self, domain: list[Any] | None, offset: int = 0, limit: int | None = None, order: str | None = None
    ) -> list[int]:
        domain = [tuple(t) if isinstance(t, list) else t for t in (domain or [])]
        if (
            "active" in self._fields
            and self.env.context.get("active_test", True)
            and not any(isinstance(t, tuple) and str(t[0]).split(".")[0] == "active" for t in domain)
        ):
            domain = ["&", ("active", "=", True), *domain] if domain else [("active", "=", True)]
        predicate = DomainCompiler(self).compile(domain)
        candidates = self._candidates(domain)
        ids = [rid for rid in candidates if predicate(rid)]
        ids = self._sort_ids(ids, order or self._order)
        if offset:
            ids = ids[int(offset) :]
        if limit:
            ids = ids[: int(limit)]
        return ids

    def _candidates(self, domain: list[Any]) -> Iterable[int]:
        """Narrow the scan with an index when the domain is a conjunction holding an indexed '='/'in'."""
        if any(t in ("|", "!") for t in domain):
            return list(self._table)
        best: set[int] | None = None
        db = self.env.db
        for leaf in domain:
            if not isinstance(leaf, tuple) or len(leaf) != 3:
                continue
            left, op, right = leaf
            if not isinstance(left, str) or "." in left:
                continue
            if left == "id" and op in ("=", "in"):
                values = right if isinstance(right, (list, tuple)) else [right]
                found = {int(v) for v in values if v and int(v) in self._table}
            else:
                field = self._fields.get(left)
                if field is None or not field.store or (self._name, left) not in db.indexes:
                    continue
                if op == "=" and not isinstance(right, (list, tuple)) and right is not False:
                    found = set(db.lookup(self._name, left, right) or ())
                elif op == "in" and isinstance(right, (list, tuple)) and False not in right:
                    found = set()
                    for value in right:
                        found |= db.lookup(self._name, left, value) or set()
                else:
                    continue
            best = found if best is None else best & found
        if best is None:
            return list(self._table)
        return best

    def _sort_ids(self, ids: list[int], order: str) -> list[int]:
        terms = []
        for term in order.split(","):
            match = _ORDER_TERM.match(term)
            if not match or (match.group(1) not in self._fields):
                raise ValueError(
                    f'Invalid "order" specified ({order}). A valid "order" specification is a comma-separated '
                    "list of valid field names (optionally followed by asc/desc for the direction)"
                )
            terms.append((self._fields[match.group(1)], (match.group(2) or "asc").lower() == "desc"))
        for field, desc in reversed(terms):
            if field.name == "id":
                ids.sort(reverse=desc)
                continue

            def key(rid: int, field: Field = field) -> tuple[int, Any]:
                value = self._raw(field, rid)
                if field.type == "many2one":
                    value = (
                        self.env[field.relation or ""].browse(value).display_name.lower() if value else None
                    )
                elif field.type in X2MANY_TYPES:
                    value = len(value) if value else None
                elif isinstance(value, str):
                    value = value.lower()
                if value is False and field.type not in ("boolean",):
                    value = None
                return (1, 0) if value is None else (0, value)

            ids.sort(key=key, reverse=desc)
        return ids

    @model_method
    @returns_ids
    def search(
        self,
        domain: list[Any] | None = None,
        offset: int = 0,
        limit: int | None = None,
        order: str | None = None,
    ) -> Any:
        return self.browse(self._search_ids(domain, offset, limit, order))

    @model_method
    def search_count(self, domain: list[Any] | None = None, limit: int | None = None) -> int:
        return len(self._search_ids(domain, limit=limit))

    @exposed
    def read(
        self, fields: list[str] | None = None, load: str | None = "_classic_read"
    ) -> list[dict[str, Any]]:
        """Read existing records only (missing ids are silently skipped, like Odoo 17)."""
        names = self._field_names_for_read(fields)
        table = self._table
        result = []
        display_names: dict[tuple[str, int], str] = {}  # nothing changes during a read
        for rid in self._ids:
            if rid not in table:
                continue
            rec = self.browse(rid)
            row: dict[str, Any] = {"id": rid}
            for name in names:
                if name != "id":
                    row[name] = rec._convert_to_read(self._fields[name], load, display_names)
            result.append(row)
        return result

    def _field_names_for_read(self, fields: list[str] | None) -> list[str]:
        if not fields:
            return [f for f in self._fields]
        for name in fields:
            if name not in self._fields:
                raise ValueError(f"Invalid field {name!r} on model {self._name!r}")
        return list(fields)

    @model_method
    def search_read(
        self,
        domain: list[Any] | None = None,
        fields: list[str] | None = None,
        offset: int = 0,
        limit: int | None = None,
        order: str | None = None,
        load: str | None = "_classic_read",
    ) -> list[dict[str, Any]]:
        ids = self._search_ids(domain, offset, limit, order)
        return self.browse(ids).read(fields, load=load)

    @model_method
    def name_search(
        self,
        name: str = "",
        args: list[Any] | None = None,
        operator: str = "ilike",
        limit: int = NAME_SEARCH_LIMIT,
    ) -> list[list[Any]]:
        ids = self._name_search_ids(name, operator, args, limit)
        return [[rid, self.browse(rid).display_name] for rid in ids]

    def _name_search_ids(
        self, name: Any, operator: str = "ilike", args: list[Any] | None = None, limit: int | None = None
    ) -> list[int]:
        domain = list(args or [])
        if name or operator not in ("ilike", "like", "=ilike", "=like"):
            domain = (
                [*domain, ("display_name", operator, name)] if domain else [("display_name", operator, name)]
            )
            if len(domain) > 1:
                domain = ["&"] * (len(domain) - 1) + domain
        return self._search_ids(domain, limit=limit)

    @exposed
    def name_get(self) -> list[list[Any]]:
        return [[rec.id, rec.display_name] for rec in self.exists()]

    @model_method
    def fields_get(
        self, allfields: list[str] | None = None, attributes: list[str] | None = None
    ) -> dict[str, dict[str, Any]]:
        result = {}
        for name, field in self._fields.items():
            if allfields and name not in allfields:
                continue
            desc = field.describe()
            desc["name"] = name
            if attributes:
                desc = {k: v for k, v in desc.items() if k in attributes}
            result[name] = desc
        return result

    @model_method
    def default_get(self, fields_list: list[str]) -> dict[str, Any]:
        defaults = self._default_values({})
        result = {}
        for name in fields_list:
            if name in defaults:
                field = self._fields[name]
                value = defaults[name]
                if field.type not in X2MANY_TYPES:
                    value = self._convert_to_cache(field, value)
                    if isinstance(value, dt.datetime):
                        value = format_datetime(value)
                    elif isinstance(value, dt.date):
                        value = value.strftime(DATE_FORMAT)
                result[name] = value
        return result

    @model_method
    def load(self, fields: list[str], data: list[list[Any]]) -> dict[str, Any]:
        """The import API: one row per record, cells as text. A ``.id`` column names an existing record
        (by database id) to update with ``write``; rows without one are created. ``field/.id`` columns give
        many2one values by database id. Any error rolls the whole import back and is reported in
        ``messages`` with ``ids: False`` (Odoo runs it under a savepoint and raises nothing)."""
        messages: list[dict[str, Any]] = []
        mark = self.env.db.savepoint()
        ids: list[int] = []
        for index, cells in enumerate(data):
            try:
                if len(cells) != len(fields):
                    raise ValueError(f"row {index} has {len(cells)} cells for {len(fields)} fields")
                dbid, vals = self._load_convert(fields, cells)
                if dbid is not None:
                    record = self.browse(dbid)
                    if not record.exists():
                        raise _LoadFieldError(".id", f"Unknown database identifier '{dbid}'")
                    record.write(vals)
                    ids.append(dbid)
                else:
                    ids.append(self.create([vals]).id)
            except AccessError:
                raise
            except (UserError, ValueError) as exc:
                message: dict[str, Any] = {
                    "type": "error",
                    "message": str(exc),
                    "record": index,
                    "rows": {"from": index, "to": index},
                }
                if isinstance(exc, _LoadFieldError):
                    message["field"] = exc.field
                messages.append(message)
                break
        if messages:
            self.env.db.rollback_to(mark)
            return {"ids": False, "messages": messages, "nextrow": 0}
        return {"ids": ids, "messages": [], "nextrow": 0}

    def _load_convert(self, fields: list[str], cells: list[Any]) -> tuple[int | None, dict[str, Any]]:
        dbid: int | None = None
        vals: dict[str, Any] = {}
        for path, cell in zip(fields, cells, strict=True):
            if path == ".id":
                dbid = int(cell) if cell not in ("", False, None) else None
                continue
            name, _, sub = path.partition("/")
            field = self._fields.get(name)
            if field is None:
                raise ValueError(f"Unknown field {name!r} on model {self._name!r}")
            empty = cell in ("", False, None)
            if field.type == "many2one":
                if sub != ".id":
                    raise ValueError(f"only {name}/.id is supported for many2one imports")
                if empty:
                    vals[name] = False
                    continue
                target = self.env[str(field.relation)].browse(int(cell))
                if not target.exists():
                    raise ValueError(
                        f"No matching record found for database id '{cell}' in field {field.string!r}"
                    )
                vals[name] = target.id
            elif sub or field.type in X2MANY_TYPES:
                raise ValueError(f"unsupported import column {path!r}")
            elif field.type in ("integer",):
                vals[name] = int(cell) if not empty else 0
            elif field.type in ("float", "monetary"):
                vals[name] = float(cell) if not empty else 0.0
            elif field.type == "boolean":
                vals[name] = str(cell).strip().lower() in ("1", "true", "yes")
            else:
                vals[name] = False if empty else str(cell)
        return dbid, vals

    @model_method
    def read_group(
        self,
        domain: list[Any],
        fields: list[str],
        groupby: list[str] | str,
        offset: int = 0,
        limit: int | None = None,
        orderby: str | None = None,
        lazy: bool = True,
    ) -> list[dict[str, Any]]:
        """A lite read_group: plain and ``field:agg``/``alias:agg(field)`` aggregates, date granularities."""
        groupby_list = [groupby] if isinstance(groupby, str) else list(groupby or [])
        used_groupby = groupby_list[:1] if lazy else groupby_list
        ids = self._search_ids(domain)
        specs = self._aggregate_specs(fields, used_groupby)
        groups: dict[tuple[Any, ...], list[int]] = {}
        for rid in ids:
            key = tuple(self._group_key(spec, rid) for spec in used_groupby)
            groups.setdefault(key, []).append(rid)
        result = []
        for key, members in groups.items():
            row: dict[str, Any] = {}
            sub_domain = list(domain or [])
            for spec, value in zip(used_groupby, key, strict=True):
                fname = spec.split(":")[0]
                field = self._fields[fname]
                if field.type == "many2one":
                    row[spec] = (
                        [value, self.env[field.relation or ""].browse(value).display_name] if value else False
                    )
                else:
                    row[spec] = value
                sub_domain.append((fname, "=", value))
            count_key = f"{used_groupby[0].split(':')[0]}_count" if lazy and used_groupby else "__count"
            row[count_key] = len(members)
            for alias, func, fname in specs:
                row[alias] = self._aggregate(func, fname, members)
            row["__domain"] = _and_domains(list(domain or []), sub_domain[len(domain or []) :])
            if lazy and len(groupby_list) > 1:
                row["__context"] = {"group_by": groupby_list[1:]}
            result.append(row)
        if orderby:
            term = orderby.split(",")[0].split()
            reverse = len(term) > 1 and term[1].lower() == "desc"
            result.sort(key=lambda r: (r.get(term[0]) is False, str(r.get(term[0]))), reverse=reverse)
        else:
            result.sort(key=lambda r: tuple(_group_sort_key(r.get(g)) for g in used_groupby))
        if offset:
            result = result[int(offset) :]
        if limit:
            result = result[: int(limit)]
        return result

    def _aggregate_specs(self, fields: list[str], groupby: list[str]) -> list[tuple[str, str, str]]:
        specs = []
        for spec in fields or []:
            match = _AGG_SPEC.match(spec)
            if not match:
                raise ValueError(f"Invalid field specification {spec!r}.")
            name, func, target = match.group(1), match.group(2), match.group(3)
            fname = target or name
            if fname not in self._fields:
                raise ValueError(f"Invalid field {fname!r} on model {self._name!r}")
            if fname in groupby or spec in groupby:
                continue
            field = self._fields[fname]
            if func is None:
                if field.type not in NUMERIC_TYPES or fname == "id":
                    continue
                func = "sum"
            if func not in AGGREGATES:
                raise ValueError(f"Invalid aggregation function {func!r}.")
            specs.append((name, func, fname))
        return specs

    def _group_key(self, spec: str, rid: int) -> Any:
        fname, _, granularity = spec.partition(":")
        if fname not in self._fields:
            raise ValueError(f"Invalid field {fname!r} on model {self._name!r}")
        field = self._fields[fname]
        value = self._raw(field, rid)
        if field.type in ("date", "datetime") and value:
            granularity = granularity or "month"
            formats = {"day": "%d %b %Y", "week": "W%V %G", "month": "%B %Y", "quarter": "", "year": "%Y"}
            if granularity == "quarter":
                return f"Q{(value.month - 1) // 3 + 1} {value.year}"
            return value.strftime(formats.get(granularity, "%B %Y"))
        if field.type in X2MANY_TYPES:
            return tuple(value)
        return value

    def _aggregate(self, func: str, fname: str, ids: list[int]) -> Any:
        field = self._fields[fname]
        values = [self._raw(field, rid) for rid in ids]
        present = [v for v in values if v is not False and v is not None]
        if func == "count":
            return len(present)
        if func == "count_distinct":
            return len(set(present))
        if func == "bool_and":
            return all(values)
        if func == "bool_or":
            return any(values)
        if not present:
            return False if func in ("min", "max") else 0.0
        if func == "sum":
            return sum(present)
        if func == "avg":
            return sum(present) / len(present)
        if func == "min":
            return min(present)
        return max(present)

    # public helpers exposed like Odoo ------------------------------------------------------------
    def _check_exists_for_write(self) -> None:
        missing = [i for i in self._ids if i not in self._table]
        if missing:
            raise self._missing_error(missing)

    def _sequence_next(self, code: str) -> str:
        return self.env["ir.sequence"].next_by_code(code) or "/"


def _delegated_to(field: Field, parent_model: str) -> bool:
    return field.delegate is not None and field.delegate[0] == parent_model


def _group_sort_key(value: Any) -> tuple[int, str]:
    if value is False or value is None:
        return (1, "")
    if isinstance(value, list):
        return (0, str(value[1]).lower())
    return (0, str(value))


# ------------------------------------------------------------------------------------------ domains


Predicate = Callable[[int], bool]
DOMAIN_OPERATORS = ("&", "|", "!")
TERM_OPERATORS = frozenset(
    {
        "=", "!=", "<>", "<", ">", "<=", ">=", "=?", "in", "not in", "like", "not like", "ilike", "not ilike",
        "=like", "=ilike", "child_of", "parent_of",
    }
)  # fmt: skip
TRUE_LEAF = (1, "=", 1)
FALSE_LEAF = (0, "=", 1)


class DomainCompiler:
    """Compile an Odoo domain into a predicate on record ids of one model."""

    def __init__(self, model: Model) -> None:
        self.model = model

    def compile(self, domain: list[Any]) -> Predicate:
        if not domain:
            return lambda rid: True
        items = list(domain)
        pos = 0

        def parse() -> Predicate:
            nonlocal pos
            if pos >= len(items):
                raise ValueError(f"Invalid domain {domain!r}")
            item = items[pos]
            pos += 1
            if item == "!":
                inner = parse()
                return lambda rid: not inner(rid)
            if item in ("&", "|"):
                left = parse()
                right = parse()
                if item == "&":
                    return lambda rid: left(rid) and right(rid)
                return lambda rid: left(rid) or right(rid)
            return self.leaf(item)

        predicates = []
        while pos < len(items):
            predicates.append(parse())
        if len(predicates) == 1:
            return predicates[0]
        return lambda rid: all(p(rid) for p in predicates)

    def leaf(self, leaf: Any) -> Predicate:
        if not isinstance(leaf, (list, tuple)) or len(leaf) != 3:
            raise ValueError(f"Invalid leaf {leaf!r}")
        left, operator, right = leaf
        leaf_repr = tuple(leaf)
        if tuple(leaf) == TRUE_LEAF or left is True:
            return lambda rid: True
        if tuple(leaf) == FALSE_LEAF or left is False:
            return lambda rid: False
        if not isinstance(operator, str) or operator.lower() not in TERM_OPERATORS:
            raise ValueError(f"Invalid leaf {leaf_repr!r}")
        operator = operator.lower()
        if operator == "<>":
            operator = "!="
        if operator == "=?":
            if right is False or right is None:
                return lambda rid: True
            operator = "="
        model = self.model
        path = str(left).split(".")
        field = model._fields.get(path[0])
        if field is None:
            raise ValueError(f"Invalid field {model._name}.{path[0]} in leaf {leaf_repr!r}")
        if isinstance(right, list):
            right = tuple(right)
        if len(path) > 1:
            if field.type not in RELATIONAL_TYPES:
                raise ValueError(f"Invalid field {model._name}.{left} in leaf {leaf_repr!r}")
            comodel = model.env[field.relation or ""].with_context(active_test=False)
            sub_ids = set(comodel._search_ids([(".".join(path[1:]), operator, right)]))
            if field.type == "many2one":
                return lambda rid: model._raw(field, rid) in sub_ids
            return lambda rid: bool(sub_ids.intersection(model._raw(field, rid) or ()))
        if field.type in RELATIONAL_TYPES:
            return self._relational_leaf(field, operator, right, leaf_repr)
        if field.name == "id" and operator in ("child_of", "parent_of"):
            target = set(_hierarchy_ids(model, _as_ids(model, right), operator))
            return lambda rid: rid in target
        return self._scalar_leaf(field, operator, right)

    def _relational_leaf(self, field: Field, operator: str, right: Any, leaf_repr: Any) -> Predicate:
        model = self.model
        comodel = model.env[field.relation or ""]
        multi = field.type in X2MANY_TYPES

        def values(rid: int) -> set[int]:
            raw = model._raw(field, rid)
            if multi:
                return set(raw or ())
            return {raw} if raw else set()

        if operator in ("child_of", "parent_of"):
            target = set(_hierarchy_ids(comodel, _as_ids(comodel, right), operator))
            return lambda rid: bool(values(rid) & target)
        if operator in ("like", "ilike", "not like", "not ilike", "=like", "=ilike") or isinstance(
            right, str
        ):
            positive = operator.replace("not ", "") if operator.startswith("not ") else operator
            if positive in ("!=",):
                positive = "="
            if positive == "in" or positive == "not in":
                positive = "="
            names = right if isinstance(right, tuple) else (right,)
            matched: set[int] = set()
            for name in names:
                matched |= set(comodel.with_context(active_test=False)._name_search_ids(name, positive))
            negative = operator.startswith("not ") or operator == "!="
            if negative:
                return lambda rid: not (values(rid) & matched)
            return lambda rid: bool(values(rid) & matched)
        if operator in ("=", "!="):
            if right is False or right is None:
                empty = operator == "="
                return lambda rid: (not values(rid)) == empty
            target_one = int(right)
            if operator == "=":
                return lambda rid: target_one in values(rid)
            return lambda rid: target_one not in values(rid)
        if operator in ("in", "not in"):
            items = right if isinstance(right, tuple) else (right,)
            want_empty = any(v is False or v is None for v in items)
            targets = {int(v) for v in items if v is not False and v is not None}
            if operator == "in":
                return lambda rid: bool(values(rid) & targets) or (want_empty and not values(rid))
            return lambda rid: not (values(rid) & targets) and not (want_empty and not values(rid))
        if not multi and operator in ("<", ">", "<=", ">="):
            return self._scalar_leaf(field, operator, right)
        raise ValueError(f"Invalid leaf {leaf_repr!r}")

    def _scalar_leaf(self, field: Field, operator: str, right: Any) -> Predicate:
        model = self.model
        ftype = field.type

        def norm(value: Any) -> Any:
            if value is False or value is None:
                return False
            if ftype == "datetime":
                return parse_domain_datetime(value)
            if ftype == "date":
                parsed = parse_domain_datetime(value)
                return parsed.date() if isinstance(parsed, dt.datetime) else parsed
            if ftype in NUMERIC_TYPES and isinstance(value, str):
                return float(value)
            return value

        def get(rid: int) -> Any:
            value = model._raw(field, rid)
            if ftype == "many2one" and isinstance(value, Model):
                return value.id
            return value

        if operator in ("like", "ilike", "not like", "not ilike", "=like", "=ilike"):
            positive = operator.replace("not ", "")
            pattern = like_regex(
                str(right if right is not False else ""),
                wrap=not positive.startswith("="),
                ignore_case=positive.endswith("ilike"),
            )
            if operator.startswith("not "):
                return lambda rid: (v := get(rid)) in (False, None) or not pattern.fullmatch(str(v))
            return lambda rid: (v := get(rid)) not in (False, None) and bool(pattern.fullmatch(str(v)))
        if operator in ("in", "not in"):
            items = right if isinstance(right, tuple) else (right,)
            normalized = {norm(v) for v in items}
            if False in normalized and ftype in TEXT_TYPES:
                normalized.add("")
            if operator == "in":
                return lambda rid: _null(get(rid), ftype) in normalized
            return lambda rid: _null(get(rid), ftype) not in normalized
        target = norm(right)
        if operator in ("=", "!="):
            if target is False and ftype != "boolean":
                empty = operator == "="
                return lambda rid: (get(rid) in (False, None, "")) == empty
            if ftype == "boolean":
                wanted = bool(target)
                if operator == "=":
                    return lambda rid: bool(get(rid)) == wanted
                return lambda rid: bool(get(rid)) != wanted
            if operator == "=":
                return lambda rid: get(rid) == target
            return lambda rid: get(rid) != target
        compare: dict[str, Callable[[Any, Any], bool]] = {
            "<": lambda a, b: a < b,
            ">": lambda a, b: a > b,
            "<=": lambda a, b: a <= b,
            ">=": lambda a, b: a >= b,
        }
        op = compare.get(operator)
        if op is None:
            raise ValueError(f"Invalid operator {operator!r} for field {field.name!r}")
        if target is False:
            return lambda rid: False
        if ftype == "date" and isinstance(target, dt.datetime):
            target = target.date()
        return lambda rid: (v := get(rid)) not in (False, None) and op(v, target)


def _null(value: Any, ftype: str) -> Any:
    if value is None:
        return False
    if ftype in TEXT_TYPES and value == "":
        return False
    return value


def _as_ids(model: Model, right: Any) -> list[int]:
    if isinstance(right, str):
        return model._name_search_ids(right, "ilike")
    if isinstance(right, (list, tuple)):
        return [int(v) for v in right if v]
    return [int(right)] if right else []


def _hierarchy_ids(model: Model, ids: list[int], operator: str) -> list[int]:
    parent_name = model._parent_name
    table = model.env.db.tables[model._name]
    if parent_name not in model._fields:
        return ids
    if operator == "parent_of":
        result: set[int] = set()
        for rid in ids:
            seen = 0
            while rid and rid in table and rid not in result and seen < len(table) + 1:
                result.add(rid)
                rid = table[rid].get(parent_name) or 0
                seen += 1
        return list(result)
    wanted = set(ids)
    result = set()
    for rid in table:
        node, steps = rid, 0
        while node and steps <= len(table):
            if node in wanted:
                result.add(rid)
                break
            node = table.get(node, {}).get(parent_name) or 0
            steps += 1
    return list(result)


def method_flag(cls: type[Model], method: str, flag: str) -> Any:
    """A decorator flag of ``method``, inherited by overrides that are not decorated again."""
    for klass in cls.__mro__:
        fn = vars(klass).get(method)
        if fn is not None and hasattr(fn, flag):
            return getattr(fn, flag)
    return None


def check_method_access(model: Model, method: str) -> Callable[..., Any]:
    """Resolve an RPC method name the way ``odoo.service.model`` does (private methods are refused)."""
    if method.startswith("_"):
        raise AccessError(f"Private methods (such as {method}) cannot be called remotely.")
    fn = getattr(type(model), method, None)
    if fn is None or not callable(fn) or not method_flag(type(model), method, "_rpc"):
        raise AttributeError(f"The method '{method}' does not exist on the model '{model._name}'")
    return fn


def require(condition: bool, message: str) -> None:
    """Raise a UserError unless ``condition`` holds."""
    if not condition:
        raise UserError(message)
