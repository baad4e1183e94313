"""What the Python interop drivers share (paimon_interop.py on pypaimon, rust_interop.py on
pypaimon-rust): canonical JSON <-> Arrow values, the LIMITATION convention and the command loop.

Canonical rows are described in test/interop/README.md. Types are given as Paimon SQL type
strings ("DECIMAL(10, 2)", "TIMESTAMP(6) WITH LOCAL TIME ZONE", optionally " NOT NULL").

A command runs once (`driver.py COMMAND ARGS...`) or, with `driver.py serve`, many times in one
process: each stdin line is a JSON array of arguments, and the command's output is followed by a
line `#END {"ok": true}` (or `{"ok": false, "error" | "limitation": "..."}`). Rows are JSON objects,
so no output line starts with '#'.
"""

import base64
import datetime
import decimal
import json
import math
import sys
import traceback

import pyarrow as pa

EPOCH = datetime.datetime(1970, 1, 1)
LIMITATION_EXIT = 3
decimal.getcontext().prec = 80


class Limitation(Exception):
    """Something the implementation documents it cannot do (exit 3, "LIMITATION: ..." on stderr)."""


def base_type(type_sql):
    t = type_sql.strip().upper()
    return t[: -len(" NOT NULL")].strip() if t.endswith(" NOT NULL") else t


# ------------------------------------------------------------------------------------------------
# canonical JSON -> Arrow

SPECIAL_FLOATS = {"NaN": math.nan, "Infinity": math.inf, "-Infinity": -math.inf, "-0": -0.0}


def float_in(v):
    if isinstance(v, str) and v in SPECIAL_FLOATS:
        return SPECIAL_FLOATS[v]
    return float(v)


def ts_micros(s):
    d = datetime.datetime.fromisoformat(s)
    delta = d - EPOCH
    return (delta.days * 86400 + delta.seconds) * 1_000_000 + delta.microseconds


def arrow_value(type_sql, pa_type, v):
    if v is None:
        return None
    t = base_type(type_sql)
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


def arrow_column(type_sql, pa_type, values):
    values = [arrow_value(type_sql, pa_type, v) for v in values]
    if pa.types.is_timestamp(pa_type):
        return pa.array(values, type=pa.int64()).cast(pa_type)
    return pa.array(values, type=pa_type)


# ------------------------------------------------------------------------------------------------
# Arrow -> canonical JSON


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


def canonical_values(type_sql, col):
    """The canonical JSON values of an Arrow column holding a column of type `type_sql`."""
    t = base_type(type_sql)
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


def print_rows(fields, result, out, row_kinds=None):
    """Prints an Arrow table as canonical JSONL; fields: [(name, type_sql)] in schema order."""
    if result is None or result.num_rows == 0:
        return
    columns = [canonical_values(t, result.column(n)) for n, t in fields]
    for i in range(result.num_rows):
        row = {n: columns[j][i] for j, (n, _) in enumerate(fields)}
        if row_kinds is not None and row_kinds[i] in ("-U", "-D"):
            row["_kind"] = row_kinds[i]  # a batch read returning a retraction would be a bug
        out.write(json.dumps(row, ensure_ascii=False) + "\n")


# ------------------------------------------------------------------------------------------------
# command loop


def read_json(path):
    with open(path, encoding="utf-8") as f:
        return json.load(f)


def read_lines(path):
    with open(path, encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


def spec_columns(spec):
    cols = spec["columns"]
    return [(c["name"], c["type"]) for c in cols] if isinstance(cols, list) else list(cols.items())


def read_many(read_one, args):
    """`read WAREHOUSE TABLE [ID...]`: several ids (or "latest") print a {"_snapshot": ID} line before each group."""
    if len(args) <= 3:
        read_one(args[0], args[1], args[2] if len(args) > 2 else None)
        return
    for sid in args[2:]:
        sys.stdout.write(json.dumps({"_snapshot": sid}) + "\n")
        read_one(args[0], args[1], sid)


def main(commands, usage, argv):
    """Runs one command (exit 0, 2 usage, 3 LIMITATION), or `serve`: one per stdin line."""
    if not argv:
        print(usage, file=sys.stderr)
        return 2
    if argv[0] == "serve":
        for line in sys.stdin:
            if not line.strip():
                continue
            status = {"ok": True}
            try:
                args = json.loads(line)
                if not args or args[0] not in commands:
                    raise ValueError("unknown command %r" % (args[:1],))
                commands[args[0]](args[1:])
            except Limitation as e:
                status = {"ok": False, "limitation": str(e)}
            except BaseException as e:  # noqa: BLE001 — reported to the test, the loop goes on
                status = {"ok": False, "error": "".join(traceback.format_exception(e))[-6000:]}
            sys.stdout.write("#END " + json.dumps(status) + "\n")
            sys.stdout.flush()
        return 0
    if argv[0] not in commands:
        print(usage, file=sys.stderr)
        return 2
    try:
        commands[argv[0]](argv[1:])
    except Limitation as e:
        print("LIMITATION: %s" % e, file=sys.stderr)
        return LIMITATION_EXIT
    sys.stdout.flush()
    return 0
