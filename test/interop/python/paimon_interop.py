"""Eddy's interop driver on pypaimon (the Apache Paimon Python API); runs on pypaimon 2.1 (the
matrix's pypaimon column) and 1.4.2 (the bucket-agreement check).

Same commands and canonical JSONL rows as the Java driver (see test/interop/README.md):

  write     WAREHOUSE DB.TABLE SPEC.json ROWS.jsonl   create the table if absent, write the rows
  read      WAREHOUSE DB.TABLE [SNAPSHOT_ID...]       batch read (time travel), canonical JSONL;
            with several ids (or "latest"), each group of rows follows a {"_snapshot": "ID"} line
  snapshots WAREHOUSE DB.TABLE                        one JSON line per snapshot
  files     WAREHOUSE DB.TABLE                        live data files of the latest snapshot
  bucket    SPEC.json KEYS.jsonl                      pypaimon's bucket of each key row (JSON array)
  buckets   JOBS.json                                 [{"spec":..., "rows":[...]}]: one array per job
  serve                                               the commands above, one JSON array per stdin line

Things pypaimon cannot do exit with status 3 and a line starting with "LIMITATION:" on stderr,
so the test can tell a documented limitation from a failure.
"""

import json
import sys
import tempfile
from importlib.metadata import version

import pyarrow as pa
from pypaimon import CatalogFactory, Schema
from pypaimon.schema.data_types import AtomicType, DataField, PyarrowFieldParser

from interop_common import (
    Limitation,
    arrow_column,
    main,
    print_rows,
    read_json,
    read_lines,
    read_many,
    spec_columns,
)

VERSION = version("pypaimon")
V1 = VERSION.startswith("1.")


def catalog(warehouse):
    return CatalogFactory.create({"warehouse": warehouse})


def schema_of(spec):
    items = spec_columns(spec)
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


def field_types(fields):
    return [(f.name, f.type.type) for f in fields]


def arrow_table(fields, pa_schema, rows):
    arrays = [arrow_column(f.type.type, pf.type, [r.get(f.name) for r in rows]) for f, pf in zip(fields, pa_schema)]
    return pa.Table.from_arrays(arrays, schema=pa_schema)


def snapshot_manager(table):
    if V1:
        from pypaimon.snapshot.snapshot_manager import SnapshotManager

        return SnapshotManager(table)
    return table.snapshot_manager()


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
    commits = {}
    for line in lines:
        kind = line.get("kind", "+I")
        if kind in ("-D", "-U"):
            raise Limitation(
                "pypaimon %s cannot write retractions (%s): its KeyValueDataWriter stores every row as +I "
                "(_VALUE_KIND=0) unless the table has a 'rowkind.field' column, and it has no delete API for "
                "primary-key tables" % (VERSION, kind)
            )
        if kind != "+I" and not is_pk:
            raise Limitation("append tables take +I rows only")
        commits.setdefault(str(line.get("commit", 0)), []).append(line.get("row") or {})
    for commit_id, rows in commits.items():
        builder = table.new_batch_write_builder()
        write = builder.new_write()
        commit = builder.new_commit()
        write.write_arrow(arrow_table(fields, pa_schema, rows))
        commit.commit(write.prepare_commit())
        write.close()
        commit.close()
        latest = snapshot_manager(table).get_latest_snapshot()
        print(json.dumps({"commit": commit_id, "snapshotId": latest.id if latest else None}), flush=True)


def scan_at_v1(table, snapshot_id):
    """pypaimon 1.4.2 has no public snapshot-id time travel (only scan.tag-name): plan snapshot N
    with its own FileScanner."""
    from pypaimon.manifest.manifest_list_manager import ManifestListManager
    from pypaimon.read.scanner.file_scanner import FileScanner

    snapshot = snapshot_manager(table).get_snapshot_by_id(int(snapshot_id))
    if snapshot is None:
        raise ValueError("snapshot %s does not exist" % snapshot_id)
    manifests = ManifestListManager(table)
    return FileScanner(table, lambda: (manifests.read_all(snapshot), snapshot)).scan()


def cmd_read(warehouse, name, snapshot_id=None):
    table = catalog(warehouse).get_table(name)
    latest = snapshot_id is None or snapshot_id == "latest"
    if latest or V1:
        rb = table.new_read_builder()
        plan = rb.new_scan().plan() if latest else scan_at_v1(table, snapshot_id)
    else:
        # Time travel reads the snapshot with its own schema (as Java does).
        table = table.copy({"scan.snapshot-id": str(snapshot_id)})
        rb = table.new_read_builder()
        plan = rb.new_scan().plan()
    result = rb.new_read().to_arrow(plan.splits())
    print_rows(field_types(table.table_schema.fields), result, sys.stdout)


def cmd_snapshots(warehouse, name):
    table = catalog(warehouse).get_table(name)
    sm = snapshot_manager(table)
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
            print(json.dumps({"bucket": split.bucket, "level": f.level, "fileName": f.file_name, "rowCount": f.row_count}))


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


def cmd_buckets(args):
    for job in read_json(args[0]):
        try:
            print(json.dumps(buckets(job["spec"], job["rows"])))
        except Exception as e:  # one job's failure (e.g. a key type pypaimon lacks) is reported
            print(json.dumps({"error": "%s: %s" % (type(e).__name__, e)}))


COMMANDS = {
    "write": lambda a: cmd_write(a[0], a[1], read_json(a[2]), read_lines(a[3])),
    "read": lambda a: read_many(cmd_read, a),
    "snapshots": lambda a: cmd_snapshots(a[0], a[1]),
    "files": lambda a: cmd_files(a[0], a[1]),
    "bucket": lambda a: print(json.dumps(buckets(read_json(a[0]), [x.get("row", x) for x in read_lines(a[1])]))),
    "buckets": cmd_buckets,
}

if __name__ == "__main__":
    sys.exit(main(COMMANDS, __doc__, sys.argv[1:]))
