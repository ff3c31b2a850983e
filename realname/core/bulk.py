"""Fast bulk reads and writes for the hot paths (worker import, gate ingest, day records, pay sheets): the
values ``bulk_create`` would send, without its per-value SQL compilation — multi-row INSERTs on SQLite, one
``COPY`` stream on PostgreSQL; several reads sent at once (:func:`read_in_order`); the cyclic GC paused for a
batch (:func:`paused_gc`)."""

from __future__ import annotations

import contextlib
import datetime as dt
import gc
import sqlite3
import uuid
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping, Sequence
from typing import Any, cast

from django.conf import settings
from django.db import connections, models, router
from psycopg.adapt import PyFormat, Transformer

# Column types whose Python value is already what the database driver takes (see insert_rows).
_DRIVER_READY = {
    "CharField",
    "TextField",
    "BooleanField",
    "IntegerField",
    "BigIntegerField",
    "SmallIntegerField",
    "PositiveIntegerField",
    "PositiveSmallIntegerField",
    "ForeignKey",
}


def _sqlite_datetime(zone: dt.tzinfo) -> Callable[[dt.datetime], str]:
    """SQLite's ``adapt_datetimefield_value`` for aware values (naive text in the connection's zone), without
    its per-call checks; a naive value is refused just as Django refuses it with USE_TZ."""

    last: list[Any] = [None, ""]  # the previous value and its text: a batch repeats its receive time

    def adapt(value: dt.datetime) -> str:
        if value is last[0]:
            return str(last[1])
        if value.tzinfo is None:
            raise ValueError("SQLite backend does not support timezone-naive datetimes when USE_TZ is True.")
        text = str(value.astimezone(zone).replace(tzinfo=None))
        last[0], last[1] = value, text
        return text

    return adapt


def converter(f: models.Field[Any, Any], connection: Any) -> Callable[[Any], Any] | None:
    """What ``f.get_db_prep_save`` does to a non-null value of the types our tables hold; None = nothing."""
    kind = f.get_internal_type()
    ops = connection.ops
    if kind in _DRIVER_READY:
        return None
    if connection.vendor == "postgresql" and kind in ("DateField", "DateTimeField", "DecimalField"):
        # psycopg takes date, datetime and Decimal objects as they are (Django's adapters return them;
        # the numeric column itself rounds to its scale).
        return None
    if kind == "DateField":
        return cast(Callable[[Any], Any], ops.adapt_datefield_value)
    if kind == "DateTimeField":
        if connection.vendor == "sqlite" and settings.USE_TZ:
            return _sqlite_datetime(connection.timezone)
        return cast(Callable[[Any], Any], ops.adapt_datetimefield_value)
    if kind == "JSONField":
        encoder = f.encoder  # type: ignore[attr-defined]
        empty = ops.adapt_json_value([], encoder)
        return lambda value: empty if value == [] else ops.adapt_json_value(value, encoder)
    if kind == "UUIDField" and not connection.features.has_native_uuid_field:
        # Text ids (the ingest writes uuid text) are parsed, and so checked, on the way.
        return lambda value: value.hex if isinstance(value, uuid.UUID) else uuid.UUID(value).hex
    if kind == "UUIDField":
        return None
    return lambda value: f.get_db_prep_save(value, connection)


def _prepared(
    model: type[models.Model], rows: Sequence[dict[str, Any]], now: dt.datetime, connection: Any
) -> tuple[list[models.Field[Any, Any]], list[list[Any]]]:
    """The model's non-key columns and each row's values as the driver takes them."""
    fields = [f for f in model._meta.concrete_fields if not f.primary_key]
    columns = []
    for f in fields:
        stamped = bool(getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False))
        columns.append((f.attname, stamped, converter(f, connection)))
    stamp = connection.ops.adapt_datetimefield_value(now)
    params = []
    for row in rows:
        values = []
        for attname, stamped, convert in columns:
            if stamped:
                row[attname] = now
                values.append(stamp)
                continue
            value = row[attname]
            values.append(value if convert is None or value is None else convert(value))
        params.append(values)
    return fields, params


# From this many rows on, an upsert on PostgreSQL goes through COPY and a scratch table.
_COPY_UPSERT_FROM = 500


def _column(f: models.Field[Any, Any]) -> str:
    return f.column or f.attname


def _rows_per_statement(connection: Any, width: int) -> int:
    """How many rows of ``width`` parameters one multi-row statement may carry on this database."""
    if connection.vendor == "sqlite":
        limit = min(connection.connection.getlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER), 32766)
    else:
        limit = 65535  # PostgreSQL's wire protocol counts parameters in 16 bits
    return max(1, limit // width)


def insert_rows(model: type[models.Model], rows: Sequence[dict[str, Any]], now: dt.datetime) -> None:
    """INSERT ``rows`` (attname → value: a new instance's ``__dict__``, or a plain dict) in a few statements.

    For rows whose new primary keys are not needed back. The values are those ``bulk_create`` sends
    (``get_db_prep_save`` per type; auto_now / auto_now_add columns stamped, here with the one time of the
    import), without its per-value SQL compilation, which at 10,000 rows costs more than the database's own
    work (SQLite's 999-parameter limit also splits bulk_create into hundreds of statements). Like
    bulk_create, it sends no signals.
    """
    if not rows:
        return
    connection = connections[router.db_for_write(model)]
    with connection.cursor() as cursor:
        fields, params = _prepared(model, rows, now, connection)
        _write(connection, cursor, model, fields, params)


def insert_values(model: type[models.Model], attnames: Sequence[str], rows: Iterable[Sequence[Any]]) -> None:
    """INSERT rows given as value tuples in ``attnames`` order — for a hot path that builds its rows as
    tuples anyway (the gate ingest): the same conversions as :func:`insert_rows`, no dict per row, and no
    auto_now stamping (give every column)."""
    connection = connections[router.db_for_write(model)]
    by_attname = {f.attname: f for f in model._meta.concrete_fields}
    fields = [by_attname[name] for name in attnames]
    converters = [converter(f, connection) for f in fields]
    params = [
        [v if c is None or v is None else c(v) for v, c in zip(row, converters, strict=True)] for row in rows
    ]
    if not params:
        return
    with connection.cursor() as cursor:
        _write(connection, cursor, model, fields, params)


@contextlib.contextmanager
def streamed_insert(
    model: type[models.Model],
    attnames: Sequence[str],
    *,
    json_text: Collection[str] = (),
    same: Mapping[str, Any] | None = None,
) -> Iterator[Callable[[Sequence[Any]], None]]:
    """Like :func:`insert_values`, but rows are handed over one at a time, as they are made:
    ``with streamed_insert(Model, names) as write: write(row)``. The JSON columns named in ``json_text``
    are given as JSON text already (what the JSON field would write: a hot path can reuse one text for
    the common value instead of encoding it per row). ``same`` gives the columns that hold one value in
    every row (a batch's time stamps, a parent's key, defaults), by attname, once: the rows leave them out,
    and each is converted (on PostgreSQL, made into its text by psycopg) once instead of once a row.

    On PostgreSQL each row goes into a COPY, opened on the first row (a block that writes none sends
    nothing), as soon as it is written, so the server parses and indexes the first rows while Python is
    still making the later ones (on a machine with two cores that overlap is most of the gain); elsewhere
    the rows are collected and inserted when the block ends. An exception inside the block aborts the
    COPY (and the caller's transaction rolls back)."""
    connection = connections[router.db_for_write(model)]
    by_attname = {f.attname: f for f in model._meta.concrete_fields}
    same = dict(same or {})
    if set(same) & set(attnames):
        raise ValueError(f"given in every row and once for all: {sorted(set(same) & set(attnames))}")
    fields = [by_attname[name] for name in attnames]
    for name in json_text:
        if by_attname[name].get_internal_type() != "JSONField":
            raise ValueError(f"{name} is not a JSON column")

    def converted(f: models.Field[Any, Any]) -> Callable[[Any], Any] | None:
        return None if f.attname in json_text else converter(f, connection)

    converters = [(index, c) for index, f in enumerate(fields) if (c := converted(f)) is not None]
    tail_fields = [by_attname[name] for name in same]
    tail = []
    for f, value in zip(tail_fields, same.values(), strict=True):
        convert = converted(f)
        tail.append(convert(value) if convert is not None and value is not None else value)
    if connection.vendor != "postgresql":
        collected: list[Sequence[Any]] = []
        yield collected.append
        if collected:
            with connection.cursor() as cursor:
                _write(
                    connection,
                    cursor,
                    model,
                    fields + tail_fields,
                    [[*_converted(row, converters), *tail] for row in collected],
                )
        return
    quote = connection.ops.quote_name
    names = ", ".join(quote(_column(f)) for f in fields + tail_fields)
    sql = f"COPY {quote(model._meta.db_table)} ({names}) FROM STDIN"  # noqa: S608 - names from the model
    with contextlib.ExitStack() as stack:
        write_row: Callable[[Sequence[Any]], None] | None = None
        tail_text: list[Any] = []

        def write(row: Sequence[Any]) -> None:
            nonlocal write_row
            if write_row is None:
                cursor = stack.enter_context(connection.cursor())
                copy = stack.enter_context(cursor.cursor.copy(sql))
                write_row = copy.write_row
                # Each value given once, as the text psycopg would send for it in every row.
                transformer = Transformer(cursor.cursor)
                for value in tail:
                    text = None if value is None else transformer.get_dumper(value, PyFormat.TEXT).dump(value)
                    tail_text.append(None if text is None else bytes(text).decode())
            write_row([*_converted(row, converters), *tail_text])

        yield write


def _converted(row: Sequence[Any], converters: Sequence[tuple[int, Callable[[Any], Any]]]) -> Sequence[Any]:
    if not converters:
        return row
    values = list(row)
    for index, convert in converters:
        if values[index] is not None:
            values[index] = convert(values[index])
    return values


def reserve_ids(model: type[models.Model], count: int) -> list[int] | None:
    """``count`` new primary keys from the table's sequence on PostgreSQL (one round trip; the rows can
    then be written with their keys by COPY, with no read-back), or None elsewhere."""
    connection = connections[router.db_for_write(model)]
    if connection.vendor != "postgresql" or count <= 0:
        return None
    table = model._meta.db_table
    sequence = _SEQUENCES.get((connection.alias, table))
    with connection.cursor() as cursor:
        if sequence is None:
            assert model._meta.pk is not None  # noqa: S101 - every concrete model has one
            cursor.execute("SELECT pg_get_serial_sequence(%s, %s)", [table, _column(model._meta.pk)])
            sequence = str(cursor.fetchone()[0])
            _SEQUENCES[(connection.alias, table)] = sequence
        cursor.execute("SELECT nextval(%s::regclass) FROM generate_series(1, %s)", [sequence, count])
        return [row[0] for row in cursor.fetchall()]


_SEQUENCES: dict[tuple[str, str], str] = {}


def _write(
    connection: Any,
    cursor: Any,
    model: type[models.Model],
    fields: Sequence[models.Field[Any, Any]],
    params: Sequence[Sequence[Any]],
) -> None:
    quote = connection.ops.quote_name
    table = quote(model._meta.db_table)
    # Only quoted names from the model's own metadata enter the SQL text; every value is a parameter.
    names = ", ".join(quote(_column(f)) for f in fields)
    if connection.vendor == "postgresql":
        # COPY: one stream instead of one INSERT per row (even pipelined, those cost 3× as much).
        with cursor.cursor.copy(f"COPY {table} ({names}) FROM STDIN") as copy:
            for values in params:
                copy.write_row(values)
        return
    _multi_row(cursor, f"INSERT INTO {table} ({names}) VALUES ", "", params, connection)  # noqa: S608


def insert_returning_ids(
    model: type[models.Model], rows: Sequence[dict[str, Any]], now: dt.datetime
) -> list[int]:
    """Like :func:`insert_rows` (multi-row INSERTs on both databases), and the new primary keys, in order."""
    if not rows:
        return []
    connection = connections[router.db_for_write(model)]
    quote = connection.ops.quote_name
    assert model._meta.pk is not None  # noqa: S101 - every concrete model has one
    pk = quote(_column(model._meta.pk))
    with connection.cursor() as cursor:
        fields, params = _prepared(model, rows, now, connection)
        names = ", ".join(quote(_column(f)) for f in fields)
        head = f"INSERT INTO {quote(model._meta.db_table)} ({names}) VALUES "  # noqa: S608
        return _multi_row(cursor, head, f" RETURNING {pk}", params, connection, returning=True)


def upsert_rows(
    model: type[models.Model],
    rows: Sequence[dict[str, Any]],
    now: dt.datetime,
    *,
    unique_fields: Sequence[str],
    update_fields: Sequence[str],
) -> None:
    """INSERT ``rows``, or where a row with the same ``unique_fields`` exists, UPDATE its ``update_fields``
    (``INSERT … ON CONFLICT (…) DO UPDATE``, which SQLite and PostgreSQL both speak): ``bulk_create(…,
    update_conflicts=True)`` without its per-value compilation. Names are attnames (``employment_id``)."""
    if not rows:
        return
    connection = connections[router.db_for_write(model)]
    quote = connection.ops.quote_name
    by_attname = {f.attname: f for f in model._meta.concrete_fields}
    conflict = ", ".join(quote(_column(by_attname[name])) for name in unique_fields)
    updates = ", ".join(
        f"{quote(_column(by_attname[name]))} = EXCLUDED.{quote(_column(by_attname[name]))}"
        for name in update_fields
    )
    table = quote(model._meta.db_table)
    with connection.cursor() as cursor:
        fields, params = _prepared(model, rows, now, connection)
        names = ", ".join(quote(_column(f)) for f in fields)
        tail = f" ON CONFLICT ({conflict}) DO UPDATE SET {updates}"
        if connection.vendor == "postgresql" and len(params) >= _COPY_UPSERT_FROM:
            # Many rows: COPY them into a scratch table shaped like the target, then one INSERT … SELECT.
            # (psycopg's client-side binding spends more time splicing tens of thousands of parameters
            # into a statement than the server spends on it.)
            scratch = quote(f"upsert_{model._meta.db_table}")
            cursor.execute(
                f"CREATE TEMP TABLE IF NOT EXISTS {scratch} AS SELECT {names} FROM {table} WITH NO DATA"  # noqa: S608
            )
            with cursor.cursor.copy(f"COPY {scratch} ({names}) FROM STDIN") as copy:  # noqa: S608
                for values in params:
                    copy.write_row(values)
            cursor.execute(f"INSERT INTO {table} ({names}) SELECT {names} FROM {scratch}{tail}")  # noqa: S608
            cursor.execute(f"TRUNCATE {scratch}")
            return
        _multi_row(cursor, f"INSERT INTO {table} ({names}) VALUES ", tail, params, connection)  # noqa: S608


def _multi_row(
    cursor: Any,
    head: str,
    tail: str,
    params: Sequence[Sequence[Any]],
    connection: Any,
    *,
    returning: bool = False,
) -> list[Any]:
    """Run head + VALUES (…), (…) + tail per chunk; with ``returning``, the first column of every row the
    statements return (``tail`` ends in RETURNING …), in order."""
    width = len(params[0])
    per = _rows_per_statement(connection, width)
    one = "(" + ", ".join(["%s"] * width) + ")"
    returned: list[Any] = []
    for start in range(0, len(params), per):
        chunk = params[start : start + per]
        cursor.execute(head + ", ".join([one] * len(chunk)) + tail, [v for values in chunk for v in values])
        if returning:
            returned.extend(row[0] for row in cursor.fetchall())
    return returned


def text_array(values: Iterable[str]) -> str:
    """``values`` as the text form of a PostgreSQL ``text[]`` (``{"a","b"}``), for a parameter cast with
    ``%s::text[]``: the server parses it in one go, where psycopg adapts a Python list element by element
    in Python (about 2 µs each; the gate ingest sends two arrays of 500 per upload). Every element is
    quoted, with backslashes and double quotes escaped, so commas, braces, spaces and the word NULL stay
    plain text. PostgreSQL text cannot hold NUL characters, so neither can the values."""
    return "{" + ",".join('"' + v.replace("\\", "\\\\").replace('"', '\\"') + '"' for v in values) + "}"


Query = tuple[str, Any]  # raw SQL and its parameters


@contextlib.contextmanager
def read_in_order(*queries: models.QuerySet[Any] | Query) -> Iterator[Iterator[list[Any]]]:
    """Send every query at once and hand back each one's rows in turn:
    ``with read_in_order(q1, q2) as results: rows1 = next(results); rows2 = next(results)``.

    On PostgreSQL the queries go out together in one pipeline: the server runs them back to back, with one
    round trip for all (psycopg reads every result in at the first ``next``). A queryset's rows come as its
    ``values_list`` would give them (Django's converters applied, so dates are dates on SQLite too); raw
    SQL's as the driver gives them. Nothing else may use the connection inside the block."""
    aliases = {router.db_for_read(q.model) if isinstance(q, models.QuerySet) else "default" for q in queries}
    if len(aliases) != 1:
        raise ValueError("read_in_order reads from one database")
    connection = connections[aliases.pop()]
    with contextlib.ExitStack() as stack:
        if connection.vendor == "postgresql":
            connection.ensure_connection()
            stack.enter_context(connection.connection.pipeline())
        sent: list[tuple[Any, Any]] = []
        for query in queries:
            cursor = stack.enter_context(connection.cursor())
            if isinstance(query, models.QuerySet):
                compiler = query.query.get_compiler(connection=connection)
                sql, params = compiler.as_sql()
                cursor.execute(sql, params)
                sent.append((cursor, compiler))
            else:
                cursor.execute(*query)
                sent.append((cursor, None))

        def rows() -> Iterator[list[Any]]:
            for cursor, compiler in sent:
                fetched = cursor.fetchall()
                yield fetched if compiler is None else list(compiler.results_iter(results=[fetched]))

        yield rows()


@contextlib.contextmanager
def paused_gc() -> Iterator[None]:
    """Pause Python's cyclic garbage collector for a bounded batch computation (as a ``with`` block or a
    decorator), and resume it afterwards.

    A month of pay makes a few hundred thousand small objects next to the inputs they are made from; every
    few hundred allocations the collector walks the young ones, and now and then every object, which cost
    about a third of computing 10,000 lines. Objects are still freed as their last reference goes (the
    values made here hold no cycles); anything cyclic is collected once the collector resumes."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()
