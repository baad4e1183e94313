"""Eddy's interop driver on pypaimon (the Apache Paimon Python API).

Same commands and canonical JSONL rows as the Java driver (see test/interop/README.md):

  write     WAREHOUSE DB.TABLE SPEC.json ROWS.jsonl   create the table if absent, write the rows
  read      WAREHOUSE DB.TABLE [SNAPSHOT_ID...]       batch read (time travel), canonical JSONL;
            with several ids (or "latest"), each group of rows follows a {"_snapshot": "ID"} line
  snapshots WAREHOUSE DB.TABLE                        one JSON line per snapshot
  files     WAREHOUSE DB.TABLE                        live data files of the latest snapshot
  bucket    SPEC.json KEYS.jsonl                      pypaimon's bucket of each key row (JSON array)
  buckets   JOBS.json                                 [{"spec":..., "rows":[...]}]: one array per job

Things pypaimon cannot do exit with status 3 and a line starting with "LIMITATION:" on stderr,
so the test can tell a documented limitation from a failure.
"""

import base64
import datetime
import decimal
import json
import math
import sys
import tempfile
from collections import OrderedDict

import pyarrow as pa
from pypaimon import CatalogFactory, Schema
from pypaimon.schema.data_types import AtomicType, DataField, PyarrowFieldParser

EPOCH = datetime.datetime(1970, 1, 1)
LIMITATION_EXIT = 3
decimal.getcontext().prec = 80


class Limitation(Exception):
    pass


def catalog(warehouse):
    return CatalogFactory.create({"warehouse": warehouse})


def schema_of(spec):
    cols = spec["columns"]
    items = [(c["name"], c["type"]) for c in cols] if isinstance(cols, list) else list(cols.items())
    pk = list(spec.get("primaryKey") or [])
    fields = []
    for i, (name, type_sql) in enumerate(items):
        t = type_sql.strip().upper()
        nullable = not t.endswith(" NOT NULL") and name not in pk
        if t.endswith(" NOT NULL"):
            t = t[: -len(" NOT NULL")].strip()
        fields.append(DataField(i, name, AtomicType(t, nullable)))
    options = {k: str(v) for k, v in (spec.get("options") or {}).items()}
    return Schema(fields, list(spec.get("partitionKeys") or []), pk, options)


def type_name(field):
    return field.type.type.upper()


# ------------------------------------------------------------------------------------------------
# canonical JSON -> arrow


SPECIAL_FLOATS = {"NaN": math.nan, "Infinity": math.inf, "-Infinity": -math.inf, "-0": -0.0}


def float_in(v):
    if isinstance(v, str) and v in SPECIAL_FLOATS:
        return SPECIAL_FLOATS[v]
    return float(v)


def ts_micros(s):
    d = datetime.datetime.fromisoformat(s)
    delta = d - EPOCH
    return (delta.days * 86400 + delta.seconds) * 1_000_000 + delta.microseconds


def to_arrow_value(field, pa_type, v):
    if v is None:
        return None
    t = type_name(field)
    if t.startswith("BIGINT"):
        return int(v)
    if t in ("FLOAT", "DOUBLE"):
        return float_in(v)
    if t.startswith("DECIMAL"):
        return decimal.Decimal(v)
    if t == "DATE":
        return datetime.date.fromisoformat(v)
    if t.startswith("BINARY") or t.startswith("VARBINARY") or t == "BYTES":
        return base64.b64decode(v)
    if t.startswith("TIMESTAMP"):
        micros = ts_micros(v)
        unit = pa_type.unit
        if unit == "s":
            return micros // 1_000_000
        if unit == "ms":
            return micros // 1000
        if unit == "ns":
            return micros * 1000
        return micros
    return v


def arrow_table(fields, pa_schema, rows):
    arrays = []
    for f, pf in zip(fields, pa_schema):
        values = [to_arrow_value(f, pf.type, r.get(f.name)) for r in rows]
        if pa.types.is_timestamp(pf.type):
            arrays.append(pa.array(values, type=pa.int64()).cast(pf.type))
        else:
            arrays.append(pa.array(values, type=pf.type))
    return pa.Table.from_arrays(arrays, schema=pa_schema)


# ------------------------------------------------------------------------------------------------
# arrow -> canonical JSON


def float_out(x):
    if x is None:
        return None
    if math.isnan(x):
        return "NaN"
    if math.isinf(x):
        return "Infinity" if x > 0 else "-Infinity"
    if x == 0.0 and math.copysign(1.0, x) < 0:
        return "-0"
    return x


def format_micros(m):
    d = EPOCH + datetime.timedelta(microseconds=m)
    return "%04d-%02d-%02dT%02d:%02d:%02d.%06d" % (d.year, d.month, d.day, d.hour, d.minute, d.second, d.microsecond)


def column_values(field, col):
    t = type_name(field)
    if pa.types.is_timestamp(col.type):
        scale = {"s": 1_000_000, "ms": 1000, "us": 1, "ns": None}[col.type.unit]
        ints = col.cast(pa.int64()).to_pylist()
        return [None if v is None else format_micros(v // 1000 if scale is None else v * scale) for v in ints]
    values = col.to_pylist()
    if t.startswith("BIGINT"):
        return [None if v is None else str(v) for v in values]
    if t in ("FLOAT", "DOUBLE"):
        return [float_out(v) for v in values]
    if t.startswith("DECIMAL"):
        return [None if v is None else format(v, "f") for v in values]
    if t == "DATE":
        return [None if v is None else v.isoformat() for v in values]
    if pa.types.is_binary(col.type) or pa.types.is_fixed_size_binary(col.type) or pa.types.is_large_binary(col.type):
        return [None if v is None else base64.b64encode(v).decode("ascii") for v in values]
    return values


# ------------------------------------------------------------------------------------------------
# commands


def cmd_write(warehouse, name, spec, lines):
    cat = catalog(warehouse)
    db = name.split(".", 1)[0]
    cat.create_database(db, True)
    cat.create_table(name, schema_of(spec), True)
    table = cat.get_table(name)
    fields = table.table_schema.fields
    pa_schema = PyarrowFieldParser.from_paimon_schema(fields)
    is_pk = len(table.table_schema.primary_keys) > 0
    commits = OrderedDict()
    for line in lines:
        kind = line.get("kind", "+I")
        if kind in ("-D", "-U"):
            raise Limitation(
                "pypaimon 1.4.2 cannot write retractions (%s): its KeyValueDataWriter stores every row with "
                "_VALUE_KIND=0 (+I) and has no delete API" % kind
            )
        if kind != "+I" and not is_pk:
            raise Limitation("append tables take +I rows only")
        commits.setdefault(str(line.get("commit", 0)), []).append(line.get("row") or {})
    from pypaimon.snapshot.snapshot_manager import SnapshotManager

    for commit_id, rows in commits.items():
        builder = table.new_batch_write_builder()
        write = builder.new_write()
        commit = builder.new_commit()
        write.write_arrow(arrow_table(fields, pa_schema, rows))
        commit.commit(write.prepare_commit())
        write.close()
        commit.close()
        latest = SnapshotManager(table).get_latest_snapshot()
        print(json.dumps({"commit": commit_id, "snapshotId": latest.id if latest else None}), flush=True)


def scan_at(table, snapshot_id):
    """A scan of snapshot N. pypaimon 1.4.2 has no public snapshot-id time travel (only
    scan.tag-name), so this plans snapshot N with pypaimon's own FileScanner."""
    from pypaimon.manifest.manifest_list_manager import ManifestListManager
    from pypaimon.read.scanner.file_scanner import FileScanner
    from pypaimon.snapshot.snapshot_manager import SnapshotManager

    snapshot = SnapshotManager(table).get_snapshot_by_id(int(snapshot_id))
    if snapshot is None:
        raise ValueError("snapshot %s does not exist" % snapshot_id)
    manifests = ManifestListManager(table)
    return FileScanner(table, lambda: (manifests.read_all(snapshot), snapshot)).scan()


def cmd_read(warehouse, name, snapshot_id=None):
    table = catalog(warehouse).get_table(name)
    rb = table.new_read_builder()
    latest = snapshot_id is None or snapshot_id == "latest"
    plan = rb.new_scan().plan() if latest else scan_at(table, snapshot_id)
    result = rb.new_read().to_arrow(plan.splits())
    fields = table.table_schema.fields
    if result is None or result.num_rows == 0:
        return
    columns = [column_values(f, result.column(f.name)) for f in fields]
    out = sys.stdout
    for i in range(result.num_rows):
        row = OrderedDict((f.name, columns[j][i]) for j, f in enumerate(fields))
        out.write(json.dumps(row, ensure_ascii=False) + "\n")


def cmd_snapshots(warehouse, name):
    from pypaimon.snapshot.snapshot_manager import SnapshotManager

    table = catalog(warehouse).get_table(name)
    sm = SnapshotManager(table)
    latest = sm.get_latest_snapshot()
    earliest = sm.try_get_earliest_snapshot()
    if latest is None:
        return
    for sid in range((earliest.id if earliest else 1), latest.id + 1):
        s = sm.get_snapshot_by_id(sid)
        if s is None:
            continue
        print(
            json.dumps(
                {
                    "id": s.id,
                    "schemaId": s.schema_id,
                    "commitKind": s.commit_kind,
                    "totalRecordCount": s.total_record_count,
                    "deltaRecordCount": s.delta_record_count,
                }
            )
        )


def cmd_files(warehouse, name):
    table = catalog(warehouse).get_table(name)
    plan = table.new_read_builder().new_scan().plan()
    for split in plan.splits():
        for f in split.files:
            print(
                json.dumps(
                    {
                        "bucket": split.bucket,
                        "level": f.level,
                        "fileName": f.file_name,
                        "rowCount": f.row_count,
                    }
                )
            )


def buckets(spec, rows):
    """pypaimon's own bucket of each key row (its RowKeyExtractor), for a table made from SPEC."""
    with tempfile.TemporaryDirectory() as tmp:
        cat = catalog(tmp)
        cat.create_database("b", True)
        cat.create_table("b.t", schema_of(spec), False)
        table = cat.get_table("b.t")
        fields = table.table_schema.fields
        pa_schema = PyarrowFieldParser.from_paimon_schema(fields)
        extractor = table.create_row_key_extractor()
        out = []
        for b in arrow_table(fields, pa_schema, rows).combine_chunks().to_batches():
            _, bs = extractor.extract_partition_bucket_batch(b)
            out.extend(int(x) for x in bs)
        return out


def read_json(path):
    with open(path, encoding="utf-8") as f:
        return json.load(f)


def read_lines(path):
    with open(path, encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


def main(argv):
    if not argv:
        print(__doc__, file=sys.stderr)
        return 2
    cmd, args = argv[0], argv[1:]
    try:
        if cmd == "write":
            cmd_write(args[0], args[1], read_json(args[2]), read_lines(args[3]))
        elif cmd == "read":
            if len(args) <= 3:
                cmd_read(args[0], args[1], args[2] if len(args) > 2 else None)
            else:  # several snapshots: each group of rows follows a {"_snapshot": "..."} line
                for sid in args[2:]:
                    sys.stdout.write(json.dumps({"_snapshot": sid}) + "\n")
                    cmd_read(args[0], args[1], sid)
        elif cmd == "snapshots":
            cmd_snapshots(args[0], args[1])
        elif cmd == "files":
            cmd_files(args[0], args[1])
        elif cmd == "bucket":
            print(json.dumps(buckets(read_json(args[0]), [line.get("row", line) for line in read_lines(args[1])])))
        elif cmd == "buckets":
            for job in read_json(args[0]):
                try:
                    print(json.dumps(buckets(job["spec"], job["rows"])))
                except Exception as e:  # one job's failure (e.g. a key type pypaimon lacks) is reported
                    print(json.dumps({"error": "%s: %s" % (type(e).__name__, e)}))
        else:
            print(__doc__, file=sys.stderr)
            return 2
    except Limitation as e:
        print("LIMITATION: %s" % e, file=sys.stderr)
        return LIMITATION_EXIT
    sys.stdout.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
