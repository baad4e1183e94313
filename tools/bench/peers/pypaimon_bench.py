"""Eddy's benchmark peer on pypaimon (run with test/interop/.venv/bin/python).

Each command prints one JSON line with its own in-Python timings; the node side also times the
whole process. Rows are generated exactly as tools/bench/src/data.ts does (vectorised with numpy;
checked by a checksum).

  checksum  N ROUNDS U
  ingest    WH DB.T N BUCKETS ROUNDS U TARGET_FILE_SIZE      load, then ROUNDS x U upserts (one writer)
  scan      WH DB.T SNAPSHOT PROJECTION(all|c1,c2) REPEAT    merge-on-read batch read to Arrow
  point     WH DB.T eq|range WIDTH KEY...                    filtered reads, files read vs total
  feed      WH DB.T COMMITS ROWS_PER_COMMIT POLL_MS          commit -> delivery latency of a tailing reader
  tail      WH DB.T SECONDS POLL_MS                         pypaimon's streaming read tailing a table another
                                                             process writes (the stream suite's): the first
                                                             delivery time (epoch ms) of every (name, version)
  memory    WH DB.T N BUCKETS BUFFER TARGET_FILE_SIZE CHUNK  peak RSS of one writer
"""

import asyncio
import json
import sys
import threading
import time

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from pypaimon import CatalogFactory, Schema
from pypaimon.schema.data_types import AtomicType, DataField, PyarrowFieldParser

GOLDEN = 0x6D2B79F5
M32 = np.uint64(0xFFFFFFFF)
DRAWS = 5
TS0 = 1_700_000_000_000_000
COLUMNS = [
    ("id", "BIGINT"),
    ("name", "STRING"),
    ("amount", "DOUBLE"),
    ("qty", "INT"),
    ("ts", "TIMESTAMP(6)"),
    ("category", "STRING"),
    ("flag", "BOOLEAN"),
    ("version", "INT"),
]


def draws(seed, idx):
    t = (np.uint64(seed) + (idx + np.uint64(1)) * np.uint64(GOLDEN)) & M32
    t = ((t ^ (t >> np.uint64(15))) * (t | np.uint64(1))) & M32
    t = t ^ ((t + (((t ^ (t >> np.uint64(7))) * (t | np.uint64(61))) & M32)) & M32)
    return ((t ^ (t >> np.uint64(14))) & M32).astype(np.float64) / 4294967296.0


def stride(n):
    for p in (1_000_003, 999_983, 999_979):
        if n % p != 0:
            return p
    raise ValueError(n)


def make_rows(schema, n, rnd, start, count):
    seed = 1 if rnd == 0 else 100 + rnd
    off = 0 if rnd == 0 else (rnd * 7_654_321) % n
    i = np.arange(start, start + count, dtype=np.int64)
    d = i.astype(np.uint64) * np.uint64(DRAWS)

    def num_str(prefix, values):
        return pc.binary_join_element_wise(prefix, pc.cast(pa.array(values), pa.string()), "")

    cols = [
        pa.array((off + i * stride(n)) % n, type=pa.int64()),
        num_str("customer-", np.floor(draws(seed, d) * 100_000).astype(np.int64)),
        pa.array(np.floor(draws(seed, d + np.uint64(1)) * 1e8) / 100),
        pa.array(np.floor(draws(seed, d + np.uint64(2)) * 1000).astype(np.int32)),
        pa.array(TS0 + (rnd * n + i) * 1000, type=pa.int64()).cast(pa.timestamp("us")),
        num_str("cat-", np.floor(draws(seed, d + np.uint64(3)) * 50).astype(np.int64)),
        pa.array(draws(seed, d + np.uint64(4)) < 0.5),
        pa.array(np.full(count, rnd, dtype=np.int32)),
    ]
    return pa.Table.from_arrays([c.cast(f.type) for c, f in zip(cols, schema)], schema=schema)


def checksum(tables):
    c = {"rows": 0, "id": 0, "nameNum": 0, "amountCents": 0, "qty": 0, "flags": 0, "version": 0}
    for t in tables:
        c["rows"] += t.num_rows
        c["id"] += pc.sum(t["id"]).as_py()
        c["nameNum"] += pc.sum(pc.cast(pc.utf8_slice_codeunits(t["name"], 9), pa.int64())).as_py()
        c["amountCents"] += int(np.round(t["amount"].to_numpy() * 100).astype(np.int64).sum())
        c["qty"] += pc.sum(t["qty"]).as_py()
        c["flags"] += pc.sum(pc.cast(t["flag"], pa.int64())).as_py()
        c["version"] += pc.sum(t["version"]).as_py()
    return c


def pa_schema():
    fields = [DataField(i, n, AtomicType(t, n != "id")) for i, (n, t) in enumerate(COLUMNS)]
    return PyarrowFieldParser.from_paimon_schema(fields)


def catalog(wh):
    return CatalogFactory.create({"warehouse": wh})


def create(cat, name, options):
    cat.create_database(name.split(".", 1)[0], True)
    fields = [DataField(i, n, AtomicType(t, n != "id")) for i, (n, t) in enumerate(COLUMNS)]
    opts = {"file.format": "parquet", "file.compression": "zstd", **options}
    cat.create_table(name, Schema(fields, [], ["id"], opts), False)
    return cat.get_table(name)


def ms(t0):
    return (time.perf_counter() - t0) * 1000


def proc_status(key):
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith(key + ":"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return -1


# ------------------------------------------------------------------------------------------------


def cmd_checksum(a, out):
    n, rounds, u = int(a[0]), int(a[1]), int(a[2])
    s = pa_schema()
    out["checksum"] = checksum([make_rows(s, n, 0, 0, n)] + [make_rows(s, n, r, 0, u) for r in range(1, rounds + 1)])


def cmd_ingest(a, out):
    wh, name, n, buckets, rounds, u, target = a[0], a[1], int(a[2]), a[3], int(a[4]), int(a[5]), a[6]
    t0 = time.perf_counter()
    s = pa_schema()
    load = make_rows(s, n, 0, 0, n)
    upd = [make_rows(s, n, r, 0, u) for r in range(1, rounds + 1)]
    out["genMs"] = ms(t0)
    out["checksum"] = checksum([load] + upd)
    table = create(catalog(wh), name, {"bucket": buckets, "write-only": "true", "target-file-size": target})
    t0 = time.perf_counter()
    commit_batch(table, load)
    out["loadMs"] = ms(t0)
    t0 = time.perf_counter()
    for t in upd:
        commit_batch(table, t)
    out["roundsMs"] = ms(t0)
    out["endEpochMs"] = time.time() * 1000


def commit_batch(table, data):
    """One commit = one batch write (pypaimon 1.4.2's StreamTableCommit commits only once and its
    StreamTableWrite re-sends earlier files on the next prepare_commit)."""
    b = table.new_batch_write_builder()
    w = b.new_write()
    c = b.new_commit()
    w.write_arrow(data)
    c.commit(w.prepare_commit())
    w.close()
    c.close()


def plan_at(table, rb, snapshot_id):
    """pypaimon 1.4.2 has no snapshot-id time travel (only tags): plan snapshot N with its own
    FileScanner (as the interop driver does)."""
    from pypaimon.manifest.manifest_list_manager import ManifestListManager
    from pypaimon.read.scanner.file_scanner import FileScanner
    from pypaimon.snapshot.snapshot_manager import SnapshotManager

    snapshot = SnapshotManager(table).get_snapshot_by_id(int(snapshot_id))
    manifests = ManifestListManager(table)
    return FileScanner(table, lambda: (manifests.read_all(snapshot), snapshot)).scan()


def scan_once(table, snapshot_id, projection):
    rb = table.new_read_builder()
    if projection:
        rb = rb.with_projection(projection)
    plan = plan_at(table, rb, snapshot_id)
    result = rb.new_read().to_arrow(plan.splits())
    m = {"rows": result.num_rows}
    if "qty" in result.column_names:
        m["qty"] = pc.sum(result["qty"]).as_py()
    if "version" in result.column_names:
        m["version"] = pc.sum(result["version"]).as_py()
    return m


def cmd_scan(a, out):
    table = catalog(a[0]).get_table(a[1])
    projection = None if a[3] == "all" else a[3].split(",")
    t0 = time.perf_counter()
    out["cold"] = scan_once(table, a[2], projection)
    out["cold"]["ms"] = ms(t0)
    out["coldEndEpochMs"] = time.time() * 1000
    best = None
    for _ in range(int(a[4])):
        t0 = time.perf_counter()
        scan_once(table, a[2], projection)
        best = ms(t0) if best is None else min(best, ms(t0))
    out["warmMs"] = best


def point_once(table, eq, width, key):
    rb = table.new_read_builder()
    pb = rb.new_predicate_builder()
    p = pb.equal("id", key) if eq else pb.and_predicates([pb.greater_or_equal("id", key), pb.less_than("id", key + width)])
    rb = rb.with_filter(p)
    splits = rb.new_scan().plan().splits()
    files = sum(len(s.files) for s in splits)
    result = rb.new_read().to_arrow(splits)
    rows = 0
    if result is not None and result.num_rows > 0:
        ids = result["id"]
        mask = pc.equal(ids, key) if eq else pc.and_(pc.greater_equal(ids, key), pc.less(ids, key + width))
        rows = pc.sum(pc.cast(mask, pa.int64())).as_py() or 0
    return files, rows


def cmd_point(a, out):
    table = catalog(a[0]).get_table(a[1])
    eq = a[2] == "eq"
    width = int(a[3])
    keys = [int(k) for k in a[4:]]
    out["totalFiles"] = sum(len(s.files) for s in table.new_read_builder().new_scan().plan().splits())
    t0 = time.perf_counter()
    _, first_rows = point_once(table, eq, width, keys[0])
    out["coldMs"] = ms(t0)
    out["coldEndEpochMs"] = time.time() * 1000
    lat = []
    files = rows = 0
    for k in keys:
        t0 = time.perf_counter()
        f, r = point_once(table, eq, width, k)
        lat.append(ms(t0))
        files += f
        rows += r
    lat.sort()
    out["p50Ms"] = lat[len(lat) // 2]
    out["meanMs"] = sum(lat) / len(lat)
    out["filesRead"] = files / len(keys)
    out["rows"] = rows
    out["firstRows"] = first_rows


def cmd_feed(a, out):
    """The writer commits in the main thread; the tailing reader (pypaimon's streaming scan, poll
    POLL_MS) runs its asyncio loop in a second thread."""
    wh, name, commits, per, poll = a[0], a[1], int(a[2]), int(a[3]), int(a[4])
    table = create(catalog(wh), name, {"bucket": "2", "write-only": "true"})
    s = pa_schema()

    def batch(i, keys):
        n = len(keys)
        return pa.Table.from_arrays(
            [
                pa.array(keys, type=pa.int64()),
                pa.array(["v%d" % i] * n),
                pa.array([float(i)] * n),
                pa.array(list(range(n)), type=pa.int32()),
                pa.array([None] * n, type=pa.timestamp("us")),
                pa.array([None] * n, type=pa.string()),
                pa.array([True] * n),
                pa.array([i] * n, type=pa.int32()),
            ],
            schema=s,
        )

    commit_batch(table, batch(0, [-1]))  # snapshot 1 exists before the reader starts
    delivered = {}
    stop = threading.Event()

    def reader():
        async def run():
            srb = table.new_stream_read_builder().with_poll_interval_ms(poll)
            scan = srb.new_streaming_scan()
            read = srb.new_read()
            first = True
            async for plan in scan.stream():
                if stop.is_set():
                    return
                splits = plan.splits()
                if first:  # the initial plan is the full snapshot the reader starts at
                    first = False
                    continue
                if not splits:
                    continue
                t = read.to_arrow(splits)
                if t is not None and t.num_rows > 0:
                    sid = scan.next_snapshot_id - 1
                    delivered.setdefault(sid, time.perf_counter())

        asyncio.run(run())

    th = threading.Thread(target=reader, daemon=True)
    th.start()
    time.sleep(0.3)
    from pypaimon.snapshot.snapshot_manager import SnapshotManager

    sm = SnapshotManager(table)
    committed = {}
    commit_ms = []
    for i in range(commits):
        t0 = time.perf_counter()
        commit_batch(table, batch(i + 1, [(i * per + j) % 500 for j in range(per)]))
        now = time.perf_counter()
        commit_ms.append((now - t0) * 1000)
        committed[sm.get_latest_snapshot().id] = now
    deadline = time.perf_counter() + 30
    while time.perf_counter() < deadline and not all(k in delivered for k in committed):
        time.sleep(0.02)
    stop.set()
    lat = sorted(max(0.0, (delivered[k] - t) * 1000) for k, t in committed.items() if k in delivered)
    commit_ms.sort()

    def pct(xs, p):
        return xs[min(len(xs) - 1, int(p * len(xs)))] if xs else None

    out["commits"] = commits
    out["missing"] = sum(1 for k in committed if k not in delivered)
    out["p50Ms"] = pct(lat, 0.5)
    out["p99Ms"] = pct(lat, 0.99)
    out["commitP50Ms"] = pct(commit_ms, 0.5)


def cmd_tail(a, out):
    """Tails DB.T for SECONDS with pypaimon's streaming scan (from the latest snapshot at start):
    the stream suite's writers tag every row with name = wN and version = their commit number, so
    the first time a (name, version) is read is when that commit was delivered (epoch ms; the
    writers are another process on the same machine)."""
    wh, name, seconds, poll = a[0], a[1], float(a[2]), int(a[3])
    table = catalog(wh).get_table(name)
    delivered = {}
    errors = []
    end = time.time() + seconds

    async def run():
        srb = table.new_stream_read_builder().with_poll_interval_ms(poll)
        scan = srb.new_streaming_scan()
        read = srb.new_read()
        async for plan in scan.stream():
            if time.time() > end:
                return
            splits = plan.splits()
            if not splits:
                continue
            t = read.to_arrow(splits)
            if t is None or t.num_rows == 0:
                continue
            now = time.time() * 1000
            for n, v in set(zip(t.column("name").to_pylist(), t.column("version").to_pylist())):
                delivered.setdefault("%s:%s" % (n, v), now)

    async def bounded():
        # The scan may not yield while nothing new arrives: stop at the deadline regardless.
        try:
            await asyncio.wait_for(run(), timeout=seconds)
        except asyncio.TimeoutError:
            pass

    try:
        asyncio.run(bounded())
    except Exception as e:  # reported, not hidden: the suite prints it
        errors.append("%s: %s" % (type(e).__name__, e))
    out["delivered"] = delivered
    out["errors"] = errors


def cmd_memory(a, out):
    wh, name, n, buckets, buffer, target, chunk = a[0], a[1], int(a[2]), a[3], a[4], a[5], int(a[6])
    table = create(
        catalog(wh),
        name,
        {"bucket": buckets, "write-only": "true", "write-buffer-size": buffer, "target-file-size": target},
    )
    s = pa_schema()
    out["baselineRssMb"] = proc_status("VmRSS")
    b = table.new_batch_write_builder()
    w = b.new_write()
    c = b.new_commit()
    t0 = time.perf_counter()
    for start in range(0, n, chunk):
        w.write_arrow(make_rows(s, n, 0, start, min(chunk, n - start)))
    c.commit(w.prepare_commit())
    out["ms"] = ms(t0)
    w.close()
    c.close()
    out["files"] = sum(len(sp.files) for sp in table.new_read_builder().new_scan().plan().splits())


def main(argv):
    out = {}
    cmd, args = argv[0], argv[1:]
    {
        "checksum": cmd_checksum,
        "ingest": cmd_ingest,
        "scan": cmd_scan,
        "point": cmd_point,
        "feed": cmd_feed,
        "tail": cmd_tail,
        "memory": cmd_memory,
    }[cmd](args, out)
    out["vmHwmMb"] = proc_status("VmHWM")
    sys.stdout.write(json.dumps(out) + "\n")
    sys.stdout.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
