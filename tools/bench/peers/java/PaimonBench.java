import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import org.apache.paimon.catalog.Catalog;
import org.apache.paimon.catalog.CatalogContext;
import org.apache.paimon.catalog.CatalogFactory;
import org.apache.paimon.catalog.Identifier;
import org.apache.paimon.data.BinaryRow;
import org.apache.paimon.data.BinaryString;
import org.apache.paimon.data.GenericRow;
import org.apache.paimon.data.InternalRow;
import org.apache.paimon.data.Timestamp;
import org.apache.paimon.disk.IOManager;
import org.apache.paimon.manifest.ManifestEntry;
import org.apache.paimon.options.Options;
import org.apache.paimon.predicate.Predicate;
import org.apache.paimon.predicate.PredicateBuilder;
import org.apache.paimon.reader.RecordReader;
import org.apache.paimon.schema.Schema;
import org.apache.paimon.table.FileStoreTable;
import org.apache.paimon.table.Table;
import org.apache.paimon.table.sink.BatchTableCommit;
import org.apache.paimon.table.sink.BatchTableWrite;
import org.apache.paimon.table.sink.BatchWriteBuilder;
import org.apache.paimon.table.sink.CommitMessage;
import org.apache.paimon.table.sink.StreamTableCommit;
import org.apache.paimon.table.sink.StreamTableWrite;
import org.apache.paimon.table.sink.StreamWriteBuilder;
import org.apache.paimon.table.source.DataSplit;
import org.apache.paimon.table.source.ReadBuilder;
import org.apache.paimon.table.source.Split;
import org.apache.paimon.table.source.StreamTableScan;
import org.apache.paimon.table.source.TableScan;
import org.apache.paimon.types.DataTypes;

/**
 * Eddy's benchmark peer on the Apache Paimon Java API (the interop driver's classpath, Paimon
 * 1.4.2). Each command runs its workload once cold (right after JVM start) and again warm, and
 * prints one JSON line with its own in-JVM timings; the node side also times the whole process.
 * The rows are generated exactly as tools/bench/src/data.ts does (checked by a checksum).
 *
 * <pre>
 * checksum  N ROUNDS U                                        checksum of the generated rows
 * ingest    WH DB.T N BUCKETS ROUNDS U TARGET_FILE_SIZE       load N rows then ROUNDS × U upserts, cold
 *                                                             into DB.T, then warm into DB.T_warm
 * scan      WH DB.T SNAPSHOT PROJECTION(all|c1,c2) REPEAT     merge-on-read batch scan, cold then REPEAT warm
 * point     WH DB.T eq|range WIDTH KEY...                     filtered scans, files read vs total
 * compact   WH DB.COLD DB.WARM                                full compaction of every bucket, cold then warm
 * feed      WH DB.T COMMITS ROWS_PER_COMMIT POLL_MS            commit → delivery latency of a tailing reader
 * stream    WH DB.T WRITERS SECONDS ROWS_PER_COMMIT INTERVAL_MS POLL_MS OPTIONS
 *                                                             WRITERS threads (each its commitUser) commit
 *                                                             every INTERVAL_MS while a streaming scan tails
 *                                                             the table; OPTIONS k=v,k=v (table options)
 * memory    WH DB.T N BUCKETS BUFFER TARGET_FILE_SIZE CHUNK   peak RSS of one writer (VmHWM)
 * </pre>
 */
public final class PaimonBench {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final int GOLDEN = 0x6d2b79f5;
  private static final int DRAWS = 5;
  private static final long TS0 = 1_700_000_000_000_000L;
  private static IOManager io;

  public static void main(String[] a) throws Exception {
    Map<String, Object> out = new LinkedHashMap<>();
    switch (a[0]) {
      case "checksum":
        {
          int n = Integer.parseInt(a[1]), rounds = Integer.parseInt(a[2]), u = Integer.parseInt(a[3]);
          List<GenericRow> rows = makeRows(n, 0, 0, n);
          for (int r = 1; r <= rounds; r++) rows.addAll(makeRows(n, r, 0, u));
          out.put("checksum", checksum(rows));
          break;
        }
      case "ingest":
        ingest(a, out);
        break;
      case "scan":
        scan(a, out);
        break;
      case "point":
        point(a, out);
        break;
      case "compact":
        compact(a, out);
        break;
      case "feed":
        feed(a, out);
        break;
      case "stream":
        stream(a, out);
        break;
      case "memory":
        memory(a, out);
        break;
      default:
        throw new IllegalArgumentException("unknown command " + a[0]);
    }
    out.put("vmHwmMb", vmHwmMb());
    System.out.println(JSON.writeValueAsString(out));
    System.out.flush();
    if (io != null) io.close();
    System.exit(0);
  }

  // ---------------------------------------------------------------------------------------------
  // Data (same as tools/bench/src/data.ts)

  static double draw(int seed, long i) {
    int t = seed + (int) (i + 1) * GOLDEN;
    t = (t ^ (t >>> 15)) * (t | 1);
    t ^= t + (t ^ (t >>> 7)) * (t | 61);
    return ((t ^ (t >>> 14)) & 0xffffffffL) / 4294967296.0;
  }

  static long stride(long n) {
    for (long p : new long[] {1_000_003, 999_983, 999_979}) if (n % p != 0) return p;
    throw new IllegalArgumentException("no stride for " + n);
  }

  static List<GenericRow> makeRows(long n, int round, long from, int count) {
    int seed = round == 0 ? 1 : 100 + round;
    long off = round == 0 ? 0 : (round * 7_654_321L) % n;
    long st = stride(n);
    List<GenericRow> rows = new ArrayList<>(count);
    for (int k = 0; k < count; k++) {
      long i = from + k;
      long d = DRAWS * i;
      rows.add(
          GenericRow.of(
              (off + i * st) % n,
              BinaryString.fromString("customer-" + (long) Math.floor(draw(seed, d) * 100_000)),
              Math.floor(draw(seed, d + 1) * 1e8) / 100,
              (int) Math.floor(draw(seed, d + 2) * 1000),
              Timestamp.fromMicros(TS0 + ((long) round * n + i) * 1000),
              BinaryString.fromString("cat-" + (long) Math.floor(draw(seed, d + 3) * 50)),
              draw(seed, d + 4) < 0.5,
              round));
    }
    return rows;
  }

  static Map<String, Object> checksum(List<GenericRow> rows) {
    long id = 0, name = 0, cents = 0, qty = 0, flags = 0, version = 0;
    for (GenericRow r : rows) {
      id += r.getLong(0);
      name += Long.parseLong(r.getString(1).toString().substring(9));
      cents += Math.round(r.getDouble(2) * 100);
      qty += r.getInt(3);
      flags += r.getBoolean(6) ? 1 : 0;
      version += r.getInt(7);
    }
    Map<String, Object> c = new LinkedHashMap<>();
    c.put("rows", rows.size());
    c.put("id", id);
    c.put("nameNum", name);
    c.put("amountCents", cents);
    c.put("qty", qty);
    c.put("flags", flags);
    c.put("version", version);
    return c;
  }

  // ---------------------------------------------------------------------------------------------
  // Catalog

  static Catalog catalog(String warehouse) {
    Options o = new Options();
    o.set("warehouse", warehouse);
    return CatalogFactory.createCatalog(CatalogContext.create(o));
  }

  static IOManager ioManager() {
    if (io == null) io = IOManager.create(System.getProperty("java.io.tmpdir"));
    return io;
  }

  static Identifier id(String name) {
    int dot = name.indexOf('.');
    return Identifier.create(name.substring(0, dot), name.substring(dot + 1));
  }

  static FileStoreTable create(Catalog c, String name, Map<String, String> options) throws Exception {
    Identifier ident = id(name);
    c.createDatabase(ident.getDatabaseName(), true);
    Schema.Builder b =
        Schema.newBuilder()
            .column("id", DataTypes.BIGINT().notNull())
            .column("name", DataTypes.STRING())
            .column("amount", DataTypes.DOUBLE())
            .column("qty", DataTypes.INT())
            .column("ts", DataTypes.TIMESTAMP(6))
            .column("category", DataTypes.STRING())
            .column("flag", DataTypes.BOOLEAN())
            .column("version", DataTypes.INT())
            .primaryKey("id");
    b.option("file.format", "parquet");
    b.option("file.compression", "zstd");
    options.forEach(b::option);
    c.createTable(ident, b.build(), false);
    return (FileStoreTable) c.getTable(ident);
  }

  static FileStoreTable table(String warehouse, String name) throws Exception {
    return (FileStoreTable) catalog(warehouse).getTable(id(name));
  }

  static double ms(long t0) {
    return (System.nanoTime() - t0) / 1e6;
  }

  static double vmHwmMb() {
    try {
      for (String l : Files.readAllLines(Paths.get("/proc/self/status"))) {
        if (l.startsWith("VmHWM:")) return Long.parseLong(l.replaceAll("[^0-9]", "")) / 1024.0;
      }
    } catch (Exception e) {
      // not Linux
    }
    return -1;
  }

  static double vmRssMb() {
    try {
      for (String l : Files.readAllLines(Paths.get("/proc/self/status"))) {
        if (l.startsWith("VmRSS:")) return Long.parseLong(l.replaceAll("[^0-9]", "")) / 1024.0;
      }
    } catch (Exception e) {
      // not Linux
    }
    return -1;
  }

  // ---------------------------------------------------------------------------------------------
  // ingest: one streaming writer, commit 1 = the load, commits 2.. = the upsert rounds

  static void ingest(String[] a, Map<String, Object> out) throws Exception {
    String wh = a[1], name = a[2];
    int n = Integer.parseInt(a[3]), buckets = Integer.parseInt(a[4]);
    int rounds = Integer.parseInt(a[5]), u = Integer.parseInt(a[6]);
    String target = a[7];
    long t0 = System.nanoTime();
    List<GenericRow> load = makeRows(n, 0, 0, n);
    List<List<GenericRow>> upd = new ArrayList<>();
    for (int r = 1; r <= rounds; r++) upd.add(makeRows(n, r, 0, u));
    out.put("genMs", ms(t0));
    List<GenericRow> all = new ArrayList<>(load);
    upd.forEach(all::addAll);
    out.put("checksum", checksum(all));
    all = null;
    Map<String, String> opts = new HashMap<>();
    opts.put("bucket", Integer.toString(buckets));
    opts.put("write-only", "true");
    opts.put("target-file-size", target);
    Catalog c = catalog(wh);
    out.put("cold", ingestOnce(create(c, name, opts), load, upd));
    out.put("coldEndEpochMs", System.currentTimeMillis());
    out.put("warm", ingestOnce(create(c, name + "_warm", opts), load, upd));
  }

  static Map<String, Object> ingestOnce(Table t, List<GenericRow> load, List<List<GenericRow>> upd)
      throws Exception {
    Map<String, Object> m = new LinkedHashMap<>();
    StreamWriteBuilder b = t.newStreamWriteBuilder().withCommitUser("bench");
    try (StreamTableWrite w = b.newWrite(); StreamTableCommit c = b.newCommit()) {
      w.withIOManager(ioManager());
      long t0 = System.nanoTime();
      for (GenericRow r : load) w.write(r);
      c.commit(1, w.prepareCommit(false, 1));
      m.put("loadMs", ms(t0));
      t0 = System.nanoTime();
      long id = 2;
      for (List<GenericRow> round : upd) {
        for (GenericRow r : round) w.write(r);
        c.commit(id, w.prepareCommit(false, id));
        id++;
      }
      m.put("roundsMs", ms(t0));
    }
    return m;
  }

  // ---------------------------------------------------------------------------------------------
  // scan: merge-on-read batch read of a snapshot; every projected field is read with its getter

  static void scan(String[] a, Map<String, Object> out) throws Exception {
    FileStoreTable t = table(a[1], a[2]);
    Table at = t.copy(Collections.singletonMap("scan.snapshot-id", a[3]));
    List<String> names = at.rowType().getFieldNames();
    int[] proj;
    if (a[4].equals("all")) proj = null;
    else proj = Arrays.stream(a[4].split(",")).mapToInt(names::indexOf).toArray();
    int repeat = Integer.parseInt(a[5]);
    long t0 = System.nanoTime();
    Map<String, Object> cold = scanOnce(at, proj);
    cold.put("ms", ms(t0));
    out.put("cold", cold);
    out.put("coldEndEpochMs", System.currentTimeMillis());
    double best = Double.MAX_VALUE;
    for (int i = 0; i < repeat; i++) {
      t0 = System.nanoTime();
      scanOnce(at, proj);
      best = Math.min(best, ms(t0));
    }
    out.put("warmMs", best);
  }

  static Map<String, Object> scanOnce(Table t, int[] proj) throws Exception {
    ReadBuilder rb = t.newReadBuilder();
    if (proj != null) rb = rb.withProjection(proj);
    int[] types = new int[proj == null ? 8 : proj.length];
    List<String> names = new ArrayList<>();
    for (int i = 0; i < types.length; i++) {
      int col = proj == null ? i : proj[i];
      types[i] = col;
      names.add(t.rowType().getFieldNames().get(col));
    }
    long rows = 0, qty = 0, version = 0, h = 0;
    try (RecordReader<InternalRow> r = rb.newRead().createReader(rb.newScan().plan())) {
      RecordReader.RecordIterator<InternalRow> batch;
      while ((batch = r.readBatch()) != null) {
        InternalRow row;
        while ((row = batch.next()) != null) {
          rows++;
          for (int i = 0; i < types.length; i++) {
            if (row.isNullAt(i)) continue;
            switch (types[i]) {
              case 0:
                h += row.getLong(i);
                break;
              case 1:
              case 5:
                h += row.getString(i).getSizeInBytes();
                break;
              case 2:
                h += (long) row.getDouble(i);
                break;
              case 3:
                qty += row.getInt(i);
                break;
              case 4:
                h += row.getTimestamp(i, 6).getMillisecond();
                break;
              case 6:
                h += row.getBoolean(i) ? 1 : 0;
                break;
              case 7:
                version += row.getInt(i);
                break;
              default:
            }
          }
        }
        batch.releaseBatch();
      }
    }
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("rows", rows);
    m.put("qty", qty);
    m.put("version", version);
    m.put("hash", h);
    return m;
  }

  // ---------------------------------------------------------------------------------------------
  // point: key = x or x <= key < x + WIDTH; files of the plan vs all files; rows post-filtered

  static void point(String[] a, Map<String, Object> out) throws Exception {
    FileStoreTable t = table(a[1], a[2]);
    boolean eq = a[3].equals("eq");
    long width = Long.parseLong(a[4]);
    long[] keys = Arrays.stream(Arrays.copyOfRange(a, 5, a.length)).mapToLong(Long::parseLong).toArray();
    int total = 0;
    for (Split s : t.newReadBuilder().newScan().plan().splits()) total += ((DataSplit) s).dataFiles().size();
    out.put("totalFiles", total);
    PredicateBuilder pb = new PredicateBuilder(t.rowType());
    // cold: the first query
    long t0 = System.nanoTime();
    long[] first = pointOnce(t, pb, eq, width, keys[0]);
    out.put("coldMs", ms(t0));
    out.put("coldEndEpochMs", System.currentTimeMillis());
    for (long k : keys) pointOnce(t, pb, eq, width, k); // warm-up
    double[] lat = new double[keys.length];
    long files = 0, rows = 0;
    for (int i = 0; i < keys.length; i++) {
      t0 = System.nanoTime();
      long[] r = pointOnce(t, pb, eq, width, keys[i]);
      lat[i] = ms(t0);
      files += r[0];
      rows += r[1];
    }
    Arrays.sort(lat);
    out.put("p50Ms", lat[lat.length / 2]);
    out.put("meanMs", Arrays.stream(lat).average().orElse(0));
    out.put("filesRead", (double) files / keys.length);
    out.put("rows", rows);
    out.put("firstRows", first[1]);
  }

  static long[] pointOnce(Table t, PredicateBuilder pb, boolean eq, long width, long key) throws Exception {
    Predicate p = eq ? pb.equal(0, key) : PredicateBuilder.and(pb.greaterOrEqual(0, key), pb.lessThan(0, key + width));
    ReadBuilder rb = t.newReadBuilder().withFilter(p);
    List<Split> splits = rb.newScan().plan().splits();
    long files = 0;
    for (Split s : splits) files += ((DataSplit) s).dataFiles().size();
    long rows = 0;
    try (RecordReader<InternalRow> r = rb.newRead().createReader(splits)) {
      RecordReader.RecordIterator<InternalRow> batch;
      while ((batch = r.readBatch()) != null) {
        InternalRow row;
        while ((row = batch.next()) != null) {
          long k = row.getLong(0);
          if (eq ? k == key : k >= key && k < key + width) rows++;
        }
        batch.releaseBatch();
      }
    }
    return new long[] {files, rows};
  }

  // ---------------------------------------------------------------------------------------------
  // compact: full compaction of every (partition, bucket), one commit (like CompactAction)

  static void compact(String[] a, Map<String, Object> out) throws Exception {
    out.put("cold", compactOnce(table(a[1], a[2])));
    out.put("coldEndEpochMs", System.currentTimeMillis());
    out.put("warm", compactOnce(table(a[1], a[3])));
  }

  static Map<String, Object> compactOnce(FileStoreTable t0) throws Exception {
    long start = System.nanoTime();
    // write-only tables never compact in Paimon's writers: lift it for the compaction job.
    FileStoreTable t = t0.copy(Collections.singletonMap("write-only", "false"));
    List<ManifestEntry> files = t.store().newScan().plan().files();
    LinkedHashMap<String, Object[]> targets = new LinkedHashMap<>();
    for (ManifestEntry e : files)
      targets.putIfAbsent(e.partition().toString() + "/" + e.bucket(), new Object[] {e.partition(), e.bucket()});
    BatchWriteBuilder b = t.newBatchWriteBuilder();
    try (BatchTableWrite w = b.newWrite()) {
      w.withIOManager(ioManager());
      for (Object[] x : targets.values()) w.compact((BinaryRow) x[0], (Integer) x[1], true);
      List<CommitMessage> messages = w.prepareCommit();
      try (BatchTableCommit c = b.newCommit()) {
        c.commit(messages);
      }
    }
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("filesIn", files.size());
    m.put("ms", ms(start));
    m.put("filesOut", t.store().newScan().plan().files().size());
    return m;
  }

  // ---------------------------------------------------------------------------------------------
  // feed: a writer thread commits small batches back to back; a tailing reader (scan.mode latest,
  // polling every POLL_MS like Eddy's changes()) records when it first sees each snapshot's rows.

  static void feed(String[] a, Map<String, Object> out) throws Exception {
    Catalog c = catalog(a[1]);
    int commits = Integer.parseInt(a[3]), perCommit = Integer.parseInt(a[4]);
    long poll = Long.parseLong(a[5]);
    Map<String, String> opts = new HashMap<>();
    opts.put("bucket", "2");
    opts.put("write-only", "true");
    FileStoreTable t = create(c, a[2], opts);
    StreamWriteBuilder b = t.newStreamWriteBuilder().withCommitUser("bench-feed");
    Map<Long, Long> committed = new ConcurrentHashMap<>();
    Map<Long, Long> delivered = new ConcurrentHashMap<>();
    List<Double> commitMs = new ArrayList<>();
    try (StreamTableWrite w = b.newWrite(); StreamTableCommit cm = b.newCommit()) {
      w.withIOManager(ioManager());
      // snapshot 1 exists before the reader starts at "latest"
      w.write(GenericRow.of(-1L, BinaryString.fromString("seed"), 0.0, 0, null, null, false, 0));
      cm.commit(0, w.prepareCommit(false, 0));
      Table rt = t.copy(Collections.singletonMap("scan.mode", "latest"));
      AtomicBoolean stop = new AtomicBoolean(false);
      Thread reader =
          new Thread(
              () -> {
                try {
                  ReadBuilder rb = rt.newReadBuilder();
                  StreamTableScan scan = rb.newStreamScan();
                  while (!stop.get()) {
                    TableScan.Plan plan = scan.plan();
                    List<Split> splits = plan.splits();
                    if (splits.isEmpty()) {
                      Thread.sleep(poll);
                      continue;
                    }
                    try (RecordReader<InternalRow> r = rb.newRead().createReader(splits)) {
                      RecordReader.RecordIterator<InternalRow> batch;
                      long sid = ((DataSplit) splits.get(0)).snapshotId();
                      while ((batch = r.readBatch()) != null) {
                        if (batch.next() != null) delivered.putIfAbsent(sid, System.nanoTime());
                        batch.releaseBatch();
                      }
                    }
                  }
                } catch (InterruptedException e) {
                  // stopped
                } catch (Exception e) {
                  e.printStackTrace();
                }
              });
      reader.start();
      Thread.sleep(300);
      for (int i = 0; i < commits; i++) {
        long t0 = System.nanoTime();
        for (int j = 0; j < perCommit; j++) {
          long k = (long) (i * perCommit + j) % 500;
          w.write(GenericRow.of(k, BinaryString.fromString("v" + i), (double) i, j, null, null, true, i));
        }
        cm.commit(i + 1, w.prepareCommit(false, i + 1));
        long now = System.nanoTime();
        commitMs.add((now - t0) / 1e6);
        committed.put(t.snapshotManager().latestSnapshotId(), now);
      }
      long deadline = System.nanoTime() + 30_000_000_000L;
      while (System.nanoTime() < deadline && !delivered.keySet().containsAll(committed.keySet())) Thread.sleep(20);
      stop.set(true);
      reader.interrupt();
      reader.join();
    }
    List<Double> lat = new ArrayList<>();
    int missing = 0;
    for (Map.Entry<Long, Long> e : committed.entrySet()) {
      Long d = delivered.get(e.getKey());
      if (d == null) missing++;
      else lat.add(Math.max(0, (d - e.getValue()) / 1e6));
    }
    Collections.sort(lat);
    Collections.sort(commitMs);
    out.put("commits", commits);
    out.put("missing", missing);
    out.put("p50Ms", pct(lat, 0.5));
    out.put("p99Ms", pct(lat, 0.99));
    out.put("commitP50Ms", pct(commitMs, 0.5));
  }

  // ---------------------------------------------------------------------------------------------
  // stream: the stream suite's workload through Paimon's Java API, a commit every INTERVAL_MS per
  // writer (Paimon's practical minimum is about a second: Flink commits on checkpoints).

  static void stream(String[] a, Map<String, Object> out) throws Exception {
    Catalog c = catalog(a[1]);
    int writers = Integer.parseInt(a[3]);
    long seconds = Long.parseLong(a[4]);
    int perCommit = Integer.parseInt(a[5]);
    long interval = Long.parseLong(a[6]);
    long poll = Long.parseLong(a[7]);
    Map<String, String> opts = new HashMap<>();
    opts.put("bucket", "2");
    opts.put("write-only", "true");
    if (a.length > 8) {
      for (String kv : a[8].split(",")) {
        int i = kv.indexOf('=');
        if (i > 0) opts.put(kv.substring(0, i).trim(), kv.substring(i + 1).trim());
      }
    }
    FileStoreTable t = create(c, a[2], opts);
    // Snapshot 1, so the reader starting at "latest" has something to start from.
    StreamWriteBuilder seedB = t.newStreamWriteBuilder().withCommitUser("bench-seed");
    try (StreamTableWrite w = seedB.newWrite(); StreamTableCommit cm = seedB.newCommit()) {
      w.withIOManager(ioManager());
      w.write(GenericRow.of(-1L, BinaryString.fromString("seed"), 0.0, 0, null, null, false, 0));
      cm.commit(0, w.prepareCommit(false, 0));
    }
    // Delivery per commit (writer, identifier): the rows carry both (name = wN, version = k).
    Map<String, Long> committed = new ConcurrentHashMap<>();
    Map<String, Long> delivered = new ConcurrentHashMap<>();
    List<Double> commitMs = Collections.synchronizedList(new ArrayList<>());
    AtomicBoolean stop = new AtomicBoolean(false);
    Table rt = t.copy(Collections.singletonMap("scan.mode", "latest"));
    Thread reader =
        new Thread(
            () -> {
              try {
                ReadBuilder rb = rt.newReadBuilder();
                StreamTableScan scan = rb.newStreamScan();
                while (!stop.get()) {
                  List<Split> splits = scan.plan().splits();
                  if (splits.isEmpty()) {
                    Thread.sleep(poll);
                    continue;
                  }
                  try (RecordReader<InternalRow> r = rb.newRead().createReader(splits)) {
                    RecordReader.RecordIterator<InternalRow> batch;
                    while ((batch = r.readBatch()) != null) {
                      InternalRow row;
                      long now = System.nanoTime();
                      while ((row = batch.next()) != null)
                        delivered.putIfAbsent(row.getString(1) + ":" + row.getInt(7), now);
                      batch.releaseBatch();
                    }
                  }
                }
              } catch (InterruptedException e) {
                // stopped
              } catch (Exception e) {
                e.printStackTrace();
              }
            });
    reader.start();
    Thread.sleep(300);
    long t0 = System.nanoTime();
    long end = t0 + seconds * 1_000_000_000L;
    java.util.concurrent.atomic.AtomicLong seq = new java.util.concurrent.atomic.AtomicLong();
    java.util.concurrent.atomic.AtomicInteger failed = new java.util.concurrent.atomic.AtomicInteger();
    List<Thread> ws = new ArrayList<>();
    for (int wi = 0; wi < writers; wi++) {
      final int w = wi;
      Thread th =
          new Thread(
              () -> {
                StreamWriteBuilder b = t.newStreamWriteBuilder().withCommitUser("bench-stream-" + w);
                try (StreamTableWrite tw = b.newWrite(); StreamTableCommit cm = b.newCommit()) {
                  tw.withIOManager(ioManager());
                  long due = t0 + interval * 1_000_000L * w / writers;
                  for (int k = 1; due < end; k++) {
                    long sleep = (due - System.nanoTime()) / 1_000_000L;
                    if (sleep > 0) Thread.sleep(sleep);
                    long c0 = System.nanoTime();
                    for (int j = 0; j < perCommit; j++) {
                      long id = seq.getAndIncrement();
                      tw.write(
                          GenericRow.of(
                              id % 50_000,
                              BinaryString.fromString("w" + w),
                              (double) id,
                              j,
                              Timestamp.fromMicros(0),
                              BinaryString.fromString("c"),
                              true,
                              k));
                    }
                    try {
                      cm.commit(k, tw.prepareCommit(false, k));
                    } catch (Exception e) {
                      failed.incrementAndGet();
                      due += interval * 1_000_000L;
                      continue;
                    }
                    long now = System.nanoTime();
                    commitMs.add((now - c0) / 1e6);
                    committed.put("w" + w + ":" + k, now);
                    due += interval * 1_000_000L;
                    if (due < now) due = now;
                  }
                } catch (Exception e) {
                  e.printStackTrace();
                }
              });
      ws.add(th);
      th.start();
    }
    for (Thread th : ws) th.join();
    double writeSeconds = (System.nanoTime() - t0) / 1e9;
    long deadline = System.nanoTime() + 10_000_000_000L;
    while (System.nanoTime() < deadline && !delivered.keySet().containsAll(committed.keySet())) Thread.sleep(20);
    stop.set(true);
    reader.interrupt();
    reader.join();
    List<Double> lat = new ArrayList<>();
    int missing = 0;
    for (Map.Entry<String, Long> e : committed.entrySet()) {
      Long d = delivered.get(e.getKey());
      if (d == null) missing++;
      else lat.add(Math.max(0, (d - e.getValue()) / 1e6));
    }
    Collections.sort(lat);
    List<Double> cms = new ArrayList<>(commitMs);
    Collections.sort(cms);
    Long latest = t.snapshotManager().latestSnapshotId();
    out.put("commits", cms.size());
    out.put("failed", failed.get());
    out.put("commitsPerSecond", cms.size() / writeSeconds);
    out.put("snapshots", latest == null ? 0 : latest);
    out.put("missing", missing);
    out.put("p50Ms", pct(lat, 0.5));
    out.put("p99Ms", pct(lat, 0.99));
    out.put("commitP50Ms", pct(cms, 0.5));
    out.put("commitP99Ms", pct(cms, 0.99));
  }

  static double pct(List<Double> sorted, double p) {
    if (sorted.isEmpty()) return Double.NaN;
    return sorted.get(Math.min(sorted.size() - 1, (int) Math.floor(p * sorted.size())));
  }

  // ---------------------------------------------------------------------------------------------
  // memory: N rows generated on the fly in chunks, one writer, one commit at the end

  static void memory(String[] a, Map<String, Object> out) throws Exception {
    Catalog c = catalog(a[1]);
    int n = Integer.parseInt(a[3]), buckets = Integer.parseInt(a[4]);
    Map<String, String> opts = new HashMap<>();
    opts.put("bucket", Integer.toString(buckets));
    opts.put("write-only", "true");
    opts.put("write-buffer-size", a[5]);
    opts.put("target-file-size", a[6]);
    int chunk = Integer.parseInt(a[7]);
    FileStoreTable t = create(c, a[2], opts);
    out.put("baselineRssMb", vmRssMb());
    StreamWriteBuilder b = t.newStreamWriteBuilder().withCommitUser("bench-mem");
    long t0 = System.nanoTime();
    try (StreamTableWrite w = b.newWrite(); StreamTableCommit cm = b.newCommit()) {
      w.withIOManager(ioManager());
      for (int from = 0; from < n; from += chunk) {
        for (GenericRow r : makeRows(n, 0, from, Math.min(chunk, n - from))) w.write(r);
      }
      cm.commit(1, w.prepareCommit(false, 1));
    }
    out.put("ms", ms(t0));
    out.put("files", t.store().newScan().plan().files().size());
  }

}
