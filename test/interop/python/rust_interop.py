"""Eddy's interop driver on paimon-rust, through its Python binding pypaimon-rust (the module
pypaimon_rust: Paimon's Rust core with DataFusion SQL). Nothing here goes through pypaimon.

Same commands and canonical JSONL rows as the Java driver (see test/interop/README.md):

  write     WAREHOUSE DB.TABLE SPEC.json ROWS.jsonl   create the table if absent (SQL DDL), write the rows:
            one batch commit per distinct "commit"; retractions (-U/-D) go in a _VALUE_KIND column
  read      WAREHOUSE DB.TABLE [SNAPSHOT_ID...]       batch read ('scan.snapshot-id' time travel)
  snapshots WAREHOUSE DB.TABLE                        one JSON line per snapshot
  serve                                               the commands above, one JSON array per stdin line
"""

import json
import re
import sys

import pyarrow as pa
from pypaimon_rust.datafusion import PaimonCatalog, SQLContext

from interop_common import (
    Limitation,
    arrow_column,
    base_type,
    main,
    print_rows,
    read_json,
    read_lines,
    read_many,
    spec_columns,
)

# Paimon's RowKind byte values, as stored in _VALUE_KIND.
ROW_KIND = {"+I": 0, "-U": 1, "+U": 2, "-D": 3}


def catalog(warehouse):
    return PaimonCatalog({"warehouse": warehouse})


def quote(name):
    return '"%s"' % name.replace('"', '""')


def sql_type(type_sql):
    # DataFusion's SQL parser has no "WITH LOCAL TIME ZONE"; paimon-rust maps "WITH TIME ZONE" to it.
    return re.sub(r"\s+WITH\s+LOCAL\s+TIME\s+ZONE", " WITH TIME ZONE", type_sql.strip(), flags=re.I)


def sql_string(s):
    return "'%s'" % str(s).replace("'", "''")


def create_table(warehouse, name, spec):
    db, table = name.split(".", 1)
    ctx = SQLContext()
    ctx.register_catalog("p", {"warehouse": warehouse}, "")
    ctx.sql("CREATE SCHEMA IF NOT EXISTS p.%s" % quote(db))
    cols = ["%s %s" % (quote(n), sql_type(t)) for n, t in spec_columns(spec)]
    pk = spec.get("primaryKey") or []
    if pk:
        cols.append("PRIMARY KEY (%s)" % ", ".join(quote(k) for k in pk))
    ddl = "CREATE TABLE IF NOT EXISTS p.%s.%s (%s)" % (quote(db), quote(table), ", ".join(cols))
    parts = spec.get("partitionKeys") or []
    if parts:
        ddl += " PARTITIONED BY (%s)" % ", ".join(quote(k) for k in parts)
    opts = spec.get("options") or {}
    if opts:
        ddl += " WITH (%s)" % ", ".join("%s = %s" % (sql_string(k), sql_string(v)) for k, v in opts.items())
    ctx.sql(ddl)


def field_types(table):
    return [(f.name(), f.field_type()) for f in table.schema().fields()]


def arrow_type(type_sql):
    """The Arrow type paimon-rust reads and writes for a Paimon type."""
    t = base_type(type_sql)
    m = re.match(r"^(\w+)(?:\((\d+)(?:,\s*(\d+))?\))?(.*)$", t)
    root, p, s, rest = m.group(1), m.group(2), m.group(3), m.group(4).strip()
    simple = {
        "BOOLEAN": pa.bool_(),
        "TINYINT": pa.int8(),
        "SMALLINT": pa.int16(),
        "INT": pa.int32(),
        "INTEGER": pa.int32(),
        "BIGINT": pa.int64(),
        "FLOAT": pa.float32(),
        "DOUBLE": pa.float64(),
        "CHAR": pa.string(),
        "VARCHAR": pa.string(),
        "STRING": pa.string(),
        "BINARY": pa.binary(),
        "VARBINARY": pa.binary(),
        "BYTES": pa.binary(),
        "DATE": pa.date32(),
    }
    if root in simple:
        return simple[root]
    if root == "DECIMAL":
        return pa.decimal128(int(p or 10), int(s or 0))
    if root == "TIMESTAMP":
        precision = int(p if p is not None else 6)
        unit = "s" if precision == 0 else "ms" if precision <= 3 else "us" if precision <= 6 else "ns"
        return pa.timestamp(unit, tz="UTC" if "LOCAL TIME ZONE" in rest else None)
    raise ValueError("no Arrow type for %s" % type_sql)


def type_of_arrow(t):
    """The Paimon type name canonical_values needs to print a column of Arrow type t."""
    if pa.types.is_int64(t):
        return "BIGINT"
    if pa.types.is_float32(t):
        return "FLOAT"
    if pa.types.is_float64(t):
        return "DOUBLE"
    if pa.types.is_decimal(t):
        return "DECIMAL(%d, %d)" % (t.precision, t.scale)
    if pa.types.is_date32(t):
        return "DATE"
    return str(t)


def cmd_write(warehouse, name, spec, lines):
    create_table(warehouse, name, spec)
    table = catalog(warehouse).get_table(name)
    fields = field_types(table)
    is_pk = len(table.schema().primary_keys()) > 0
    commits = {}
    for line in lines:
        commits.setdefault(str(line.get("commit", 0)), []).append(line)
    for commit_id, group in commits.items():
        rows = [line.get("row") or {} for line in group]
        arrays = [arrow_column(t, arrow_type(t), [r.get(n) for r in rows]) for n, t in fields]
        names = [n for n, _ in fields]
        kinds = [line.get("kind", "+I") for line in group]
        if not is_pk and any(k != "+I" for k in kinds):
            raise ValueError("append tables take +I rows only")
        # Row kinds go in a _VALUE_KIND column; without retractions it is left out (an upsert is a +I).
        retracts = any(k in ("-U", "-D") for k in kinds)
        if is_pk and retracts:
            arrays.append(pa.array([ROW_KIND[k] for k in kinds], type=pa.int8()))
            names.append("_VALUE_KIND")
        builder = table.new_batch_write_builder()
        write = builder.new_write()
        try:
            write.write_arrow(pa.RecordBatch.from_arrays(arrays, names=names))
        except ValueError as e:
            if retracts and "_VALUE_KIND" in str(e):
                raise Limitation(
                    "paimon-rust (pypaimon-rust 0.4) takes no row kinds (_VALUE_KIND) in this table's bucket mode, "
                    "so it cannot write retractions here: %s" % e
                ) from e
            raise
        messages = write.prepare_commit()
        commit = builder.new_commit()
        commit.commit(messages)
        commit.close()
        write.close()
        latest = table.latest_snapshot()
        print(json.dumps({"commit": commit_id, "snapshotId": latest.id() if latest else None}), flush=True)


def cmd_read(warehouse, name, snapshot_id=None):
    table = catalog(warehouse).get_table(name)
    options = {} if snapshot_id is None or snapshot_id == "latest" else {"scan.snapshot-id": str(snapshot_id)}
    rb = table.new_read_builder(options).with_include_row_kind(True)
    plan = rb.new_scan().plan()
    batches = rb.new_read().read(plan.splits())
    if not batches:
        return
    result = pa.Table.from_batches(batches)
    # The snapshot's own columns (a time-travel read may use an older schema), typed by their Arrow type.
    fields = [(f.name, type_of_arrow(f.type)) for f in result.schema if f.name != "rowkind"]
    print_rows(fields, result, sys.stdout, result.column("rowkind").to_pylist())


def cmd_snapshots(warehouse, name):
    table = catalog(warehouse).get_table(name)
    for s in sorted(table.list_snapshots(), key=lambda s: s.id()):
        print(
            json.dumps(
                {
                    "id": s.id(),
                    "commitKind": s.commit_kind(),
                    "totalRecordCount": s.total_record_count(),
                    "deltaRecordCount": s.delta_record_count(),
                }
            )
        )


COMMANDS = {
    "write": lambda a: cmd_write(a[0], a[1], read_json(a[2]), read_lines(a[3])),
    "read": lambda a: read_many(cmd_read, a),
    "snapshots": lambda a: cmd_snapshots(a[0], a[1]),
}

if __name__ == "__main__":
    sys.exit(main(COMMANDS, __doc__, sys.argv[1:]))
