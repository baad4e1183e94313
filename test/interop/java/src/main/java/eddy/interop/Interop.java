package eddy.interop;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.BufferedReader;
import java.io.PrintStream;
import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Paths;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Collections;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.paimon.Snapshot;
import org.apache.paimon.catalog.Catalog;
import org.apache.paimon.catalog.CatalogContext;
import org.apache.paimon.catalog.CatalogFactory;
import org.apache.paimon.catalog.Identifier;
import org.apache.paimon.data.BinaryRow;
import org.apache.paimon.data.BinaryString;
import org.apache.paimon.data.Decimal;
import org.apache.paimon.data.GenericRow;
import org.apache.paimon.data.InternalRow;
import org.apache.paimon.data.Timestamp;
import org.apache.paimon.crosspartition.GlobalIndexAssigner;
import org.apache.paimon.crosspartition.IndexBootstrap;
import org.apache.paimon.disk.IOManager;
import org.apache.paimon.index.HashBucketAssigner;
import org.apache.paimon.manifest.ManifestEntry;
import org.apache.paimon.options.Options;
import org.apache.paimon.reader.RecordReader;
import org.apache.paimon.schema.Schema;
import org.apache.paimon.schema.SchemaChange;
import org.apache.paimon.table.FileStoreTable;
import org.apache.paimon.table.Table;
import org.apache.paimon.table.sink.BatchTableCommit;
import org.apache.paimon.table.sink.BatchTableWrite;
import org.apache.paimon.table.sink.BatchWriteBuilder;
import org.apache.paimon.table.sink.CommitMessage;
import org.apache.paimon.table.sink.RowKeyExtractor;
import org.apache.paimon.table.sink.RowPartitionKeyExtractor;
import org.apache.paimon.table.source.ReadBuilder;
import org.apache.paimon.types.DataField;
import org.apache.paimon.types.DataType;
import org.apache.paimon.types.DataTypeJsonParser;
import org.apache.paimon.types.DecimalType;
import org.apache.paimon.types.LocalZonedTimestampType;
import org.apache.paimon.types.RowKind;
import org.apache.paimon.types.RowType;
import org.apache.paimon.types.TimestampType;

/**
 * Eddy's interop driver on the Apache Paimon Java API. Rows in and out are "canonical JSONL" (see
 * test/interop/README.md): one JSON object per line, keyed by column name.
 *
 * <pre>
 * write     WAREHOUSE DB.TABLE SPEC.json ROWS.jsonl   create the table if absent, write the rows
 *           (lines {"kind":"+I","commit":0,"row":{...}}; one batch commit per distinct "commit",
 *           printing {"commit":"0","snapshotId":N} after each)
 * read      WAREHOUSE DB.TABLE [SNAPSHOT_ID]          batch read (time travel), canonical JSONL;
 *           with several ids (or "latest"), each group of rows follows a {"_snapshot":"ID"} line
 * snapshots WAREHOUSE DB.TABLE                        one JSON line per snapshot
 * files     WAREHOUSE DB.TABLE                        live data files of the latest snapshot
 * compact   WAREHOUSE DB.TABLE                        full compaction of every (partition, bucket)
 * alter     WAREHOUSE DB.TABLE CHANGES.json           ALTER TABLE (add/drop/rename/retype/move columns,
 *           set/remove options) in one schema change; prints {"schemaId":N}
 * bucket    SPEC.json KEYS.jsonl                      Paimon's bucket of each key row, as a JSON array
 * buckets   JOBS.json                                 [{"spec":..., "rows":[...]}, ...]: one array per job
 * serve                                               the commands above, one JSON array per stdin line
 * </pre>
 */
public final class Interop {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final DateTimeFormatter TS =
      DateTimeFormatter.ofPattern("uuuu-MM-dd'T'HH:mm:ss.SSSSSS");

  public static void main(String[] args) throws Exception {
    if (args.length == 0) usage();
    PrintStream out =
        new PrintStream(
            new java.io.BufferedOutputStream(new java.io.FileOutputStream(java.io.FileDescriptor.out), 1 << 16),
            false,
            StandardCharsets.UTF_8);
    int status = 0;
    try {
      if (args[0].equals("serve")) serve(out);
      else run(args, out);
    } catch (UsageException e) {
      status = 2;
    } finally {
      out.flush();
      if (ioManager != null) ioManager.close();
    }
    if (status == 2) usage();
    System.exit(0);
  }

  /**
   * Runs commands from stdin, one JSON array of arguments per line, in this one JVM (the suite's
   * cells would otherwise each pay a JVM start). Each command's output is followed by a line
   * {@code #END {"ok":true}} or {@code #END {"ok":false,"error":"..."}}; rows are JSON objects, so no
   * other line starts with '#'. Ends at end of input.
   */
  private static void serve(PrintStream out) throws Exception {
    BufferedReader in = new BufferedReader(new java.io.InputStreamReader(System.in, StandardCharsets.UTF_8));
    String line;
    while ((line = in.readLine()) != null) {
      if (line.isBlank()) continue;
      ObjectNode status = JsonNodeFactory.instance.objectNode();
      try {
        List<String> args = new ArrayList<>();
        JSON.readTree(line).forEach(a -> args.add(a.asText()));
        run(args.toArray(new String[0]), out);
        status.put("ok", true);
      } catch (Throwable e) {
        java.io.StringWriter trace = new java.io.StringWriter();
        e.printStackTrace(new java.io.PrintWriter(trace));
        String t = trace.toString();
        status.put("ok", false);
        status.put("error", t.length() > 6000 ? t.substring(0, 6000) : t);
      }
      out.println("#END " + JSON.writeValueAsString(status));
      out.flush();
    }
  }

  private static final class UsageException extends RuntimeException {
    UsageException() {
      super("usage");
    }
  }

  private static void run(String[] args, PrintStream out) throws Exception {
    if (args.length == 0) throw new UsageException();
    switch (args[0]) {
      case "write":
        need(args, 5);
        write(args[1], args[2], readJson(args[3]), readLines(args[4]), out);
        break;
      case "read":
        need(args, 3);
        if (args.length <= 4) read(args[1], args[2], args.length > 3 ? args[3] : null, out);
        else {
          // Several snapshots in one go: each group of rows follows a {"_snapshot": "..."} line.
          for (int i = 3; i < args.length; i++) {
            out.println(JSON.writeValueAsString(Collections.singletonMap("_snapshot", args[i])));
            read(args[1], args[2], args[i], out);
          }
        }
        break;
      case "snapshots":
        need(args, 3);
        snapshots(args[1], args[2], out);
        break;
      case "files":
        need(args, 3);
        files(args[1], args[2], out);
        break;
      case "compact":
        need(args, 3);
        compact(args[1], args[2], out);
        break;
      case "alter":
        need(args, 4);
        alter(args[1], args[2], readJson(args[3]), out);
        break;
      case "bucket":
        need(args, 3);
        out.println(JSON.writeValueAsString(bucket(readJson(args[1]), readLines(args[2]))));
        break;
      case "core-options":
        coreOptions(out);
        break;
      case "index-eval":
        need(args, 4);
        indexEval(args[1], args[2], readJson(args[3]), out);
        break;
      case "read-filter":
        need(args, 4);
        readFilter(args[1], args[2], readJson(args[3]), out);
        break;
      case "buckets":
        need(args, 2);
        for (JsonNode job : readJson(args[1])) {
          List<JsonNode> rows = new ArrayList<>();
          job.get("rows").forEach(rows::add);
          out.println(JSON.writeValueAsString(bucket(job.get("spec"), rows)));
        }
        break;
      default:
        throw new UsageException();
    }
  }

  /**
   * Every option key of the Paimon on the classpath: the ConfigOption constants of CoreOptions, by
   * reflection (with their fallback keys), one JSON object per line.
   */
  private static void coreOptions(PrintStream out) throws Exception {
    for (java.lang.reflect.Field f : org.apache.paimon.CoreOptions.class.getFields()) {
      if (!java.lang.reflect.Modifier.isStatic(f.getModifiers())
          || !org.apache.paimon.options.ConfigOption.class.isAssignableFrom(f.getType())) continue;
      org.apache.paimon.options.ConfigOption<?> o = (org.apache.paimon.options.ConfigOption<?>) f.get(null);
      List<String> fallback = new ArrayList<>();
      for (org.apache.paimon.options.FallbackKey k : o.fallbackKeys()) fallback.add(k.getKey());
      java.util.Map<String, Object> line = new java.util.LinkedHashMap<>();
      line.put("key", o.key());
      line.put("fallbackKeys", fallback);
      line.put("default", o.defaultValue() == null ? null : String.valueOf(o.defaultValue()));
      out.println(JSON.writeValueAsString(line));
    }
  }

  private static void usage() {
    System.err.println(
        "usage: write WH DB.T SPEC ROWS | read WH DB.T [SNAPSHOT...] | snapshots WH DB.T | files WH DB.T"
            + " | compact WH DB.T | alter WH DB.T CHANGES | bucket SPEC KEYS | buckets JOBS | core-options | serve");
    System.exit(2);
  }

  private static void need(String[] args, int n) {
    if (args.length < n) throw new UsageException();
  }

  // ----------------------------------------------------------------------------------------------
  // Catalog and schema

  private static Catalog catalog(String warehouse) {
    Options options = new Options();
    options.set("warehouse", warehouse);
    return CatalogFactory.createCatalog(CatalogContext.create(options));
  }

  private static Identifier identifier(String name) {
    int dot = name.indexOf('.');
    return Identifier.create(name.substring(0, dot), name.substring(dot + 1));
  }

  /** spec: {"columns": {"name": "TYPE"} | [{"name","type"}], "primaryKey", "partitionKeys", "options"}. */
  static Schema schemaOf(JsonNode spec) {
    Schema.Builder b = Schema.newBuilder();
    JsonNode cols = spec.get("columns");
    if (cols.isArray()) {
      for (JsonNode c : cols) b.column(c.get("name").asText(), parseType(c.get("type").asText()));
    } else {
      Iterator<Map.Entry<String, JsonNode>> it = cols.fields();
      while (it.hasNext()) {
        Map.Entry<String, JsonNode> e = it.next();
        b.column(e.getKey(), parseType(e.getValue().asText()));
      }
    }
    List<String> pk = strings(spec.get("primaryKey"));
    if (!pk.isEmpty()) b.primaryKey(pk);
    List<String> parts = strings(spec.get("partitionKeys"));
    if (!parts.isEmpty()) b.partitionKeys(parts);
    JsonNode opts = spec.get("options");
    if (opts != null) {
      Iterator<Map.Entry<String, JsonNode>> it = opts.fields();
      while (it.hasNext()) {
        Map.Entry<String, JsonNode> e = it.next();
        b.option(e.getKey(), e.getValue().asText());
      }
    }
    return b.build();
  }

  static DataType parseType(String sql) {
    return DataTypeJsonParser.parseAtomicTypeSQLString(sql.trim());
  }

  private static List<String> strings(JsonNode n) {
    List<String> out = new ArrayList<>();
    if (n != null) for (JsonNode x : n) out.add(x.asText());
    return out;
  }

  private static IOManager ioManager;

  /** Spill/lookup files (the lookup changelog producer and deletion vectors need a local disk). */
  private static IOManager ioManager() {
    if (ioManager == null) ioManager = IOManager.create(System.getProperty("java.io.tmpdir"));
    return ioManager;
  }

  private static FileStoreTable table(String warehouse, String name) throws Exception {
    return (FileStoreTable) catalog(warehouse).getTable(identifier(name));
  }

  // ----------------------------------------------------------------------------------------------
  // Commands

  private static void write(String warehouse, String name, JsonNode spec, List<JsonNode> lines, PrintStream out)
      throws Exception {
    Catalog catalog = catalog(warehouse);
    Identifier id = identifier(name);
    catalog.createDatabase(id.getDatabaseName(), true);
    catalog.createTable(id, schemaOf(spec), true);
    Table table = catalog.getTable(id);
    RowType rowType = table.rowType();
    // Group lines by "commit" (in order of first appearance).
    LinkedHashMap<String, List<JsonNode>> commits = new LinkedHashMap<>();
    for (JsonNode l : lines) {
      String c = l.has("commit") ? l.get("commit").asText() : "0";
      commits.computeIfAbsent(c, k -> new ArrayList<>()).add(l);
    }
    FileStoreTable fst = (FileStoreTable) table;
    long commitId = 0;
    for (List<JsonNode> group : commits.values()) {
      BatchWriteBuilder builder = table.newBatchWriteBuilder();
      List<GenericRow> rows = new ArrayList<>();
      for (JsonNode l : group) {
        RowKind kind = RowKind.fromShortString(l.has("kind") ? l.get("kind").asText() : "+I");
        rows.add(toRow(rowType, l.get("row"), kind));
      }
      try (BatchTableWrite w = builder.newWrite().withIOManager(ioManager())) {
        switch (fst.bucketMode()) {
          case HASH_DYNAMIC:
            writeDynamicBucket(fst, w, rows, commitId);
            break;
          case KEY_DYNAMIC:
            writeCrossPartition(fst, w, rows);
            break;
          default:
            for (GenericRow r : rows) w.write(r);
        }
        List<CommitMessage> messages = w.prepareCommit();
        try (BatchTableCommit c = builder.newCommit()) {
          c.commit(messages);
        }
      }
      commitId++;
      ObjectNode o = JsonNodeFactory.instance.objectNode();
      o.put("commit", group.get(0).has("commit") ? group.get(0).get("commit").asText() : "0");
      o.put("snapshotId", ((FileStoreTable) table).snapshotManager().latestSnapshotId());
      out.println(JSON.writeValueAsString(o));
    }
  }

  /**
   * Dynamic bucket mode (bucket = -1, the key holds every partition field): a HashBucketAssigner,
   * loaded from the table's hash index, picks each key's bucket, as Flink's HashBucketAssignerOperator
   * does with one assigner; the write maintains the hash index files.
   */
  private static void writeDynamicBucket(FileStoreTable table, BatchTableWrite w, List<GenericRow> rows, long commitId)
      throws Exception {
    org.apache.paimon.CoreOptions options = table.coreOptions();
    Integer maxBuckets = options.dynamicBucketMaxBuckets();
    HashBucketAssigner assigner =
        new HashBucketAssigner(
            table.snapshotManager(),
            "eddy-interop",
            table.store().newIndexFileHandler(),
            1,
            1,
            0,
            options.dynamicBucketTargetRowNum(),
            maxBuckets == null ? -1 : maxBuckets);
    RowPartitionKeyExtractor extractor = new RowPartitionKeyExtractor(table.schema());
    for (GenericRow r : rows) {
      w.write(r, assigner.assign(extractor.partition(r), extractor.trimmedPrimaryKey(r).hashCode()));
    }
    assigner.prepareCommit(commitId);
  }

  /**
   * Cross-partition upsert (bucket = -1, the key lacks a partition field): Paimon's GlobalIndexAssigner
   * (RocksDB-backed) is bootstrapped with the table's existing keys, then routes each row to its key's
   * partition and bucket, retracting a key from the partition it leaves, as Flink's cross-partition sink does.
   */
  /**
   * GlobalIndexAssigner.open: Paimon 1.4 takes (memory, IOManager, parallelism, index, collector);
   * Paimon 2.0 adds an ExecutorService after the memory. One source for both drivers.
   */
  private static void openAssigner(
      GlobalIndexAssigner assigner, java.util.function.BiConsumer<InternalRow, Integer> collector) throws Exception {
    for (java.lang.reflect.Method m : GlobalIndexAssigner.class.getMethods()) {
      if (!m.getName().equals("open")) continue;
      if (m.getParameterCount() == 5) {
        m.invoke(assigner, 64L << 20, ioManager(), 1, 0, collector);
        return;
      }
      if (m.getParameterCount() == 6) {
        m.invoke(assigner, 64L << 20, java.util.concurrent.Executors.newSingleThreadExecutor(r -> {
          Thread t = new Thread(r, "eddy-interop-assigner");
          t.setDaemon(true);
          return t;
        }), ioManager(), 1, 0, collector);
        return;
      }
    }
    throw new IllegalStateException("no GlobalIndexAssigner.open this driver knows");
  }

  private static void writeCrossPartition(FileStoreTable table, BatchTableWrite w, List<GenericRow> rows)
      throws Exception {
    List<Object[]> routed = new ArrayList<>();
    GlobalIndexAssigner assigner = new GlobalIndexAssigner(table);
    try {
      openAssigner(assigner, (row, bucket) -> routed.add(new Object[] {row, bucket}));
      new IndexBootstrap(table).bootstrap(1, 0, key -> {
        try {
          assigner.bootstrapKey(key);
        } catch (java.io.IOException e) {
          throw new java.io.UncheckedIOException(e);
        }
      });
      assigner.endBoostrap(false);
      for (GenericRow r : rows) assigner.processInput(r);
    } finally {
      assigner.close();
    }
    for (Object[] x : routed) w.write((InternalRow) x[0], (Integer) x[1]);
  }

  private static void read(String warehouse, String name, String snapshotId, PrintStream out) throws Exception {
    Table table = table(warehouse, name);
    if (snapshotId != null && !snapshotId.equals("latest"))
      table = table.copy(Collections.singletonMap("scan.snapshot-id", snapshotId));
    RowType rowType = table.rowType();
    ReadBuilder rb = table.newReadBuilder();
    try (RecordReader<InternalRow> reader = rb.newRead().createReader(rb.newScan().plan())) {
      reader.forEachRemaining(
          row -> {
            try {
              out.println(JSON.writeValueAsString(toJson(rowType, row)));
            } catch (Exception e) {
              throw new RuntimeException(e);
            }
          });
    }
  }

  /** FILTER.json {"column": C, "values": [...]} as Paimon's predicate: equal for one value, else in. */
  private static org.apache.paimon.predicate.Predicate filterOf(RowType rowType, JsonNode filter) {
    String column = filter.get("column").asText();
    int idx = rowType.getFieldIndex(column);
    DataType t = rowType.getTypeAt(idx);
    List<Object> values = new ArrayList<>();
    for (JsonNode v : filter.get("values")) values.add(v.isNull() ? null : toInternal(t, v, column));
    org.apache.paimon.predicate.PredicateBuilder b = new org.apache.paimon.predicate.PredicateBuilder(rowType);
    return values.size() == 1 ? b.equal(idx, values.get(0)) : b.in(idx, values);
  }

  /**
   * Java's file index verdict per live data file (FileIndexEvaluator's reading: the embedded bytes or
   * the one `.index` extra file, through FileIndexPredicate) for FILTER.json; prints {"fileName",
   * "index": "embedded"|"extra"|"none", "remain", "bytes" (base64 of the index)} per file.
   */
  private static void indexEval(String warehouse, String name, JsonNode filter, PrintStream out) throws Exception {
    FileStoreTable table = table(warehouse, name);
    for (ManifestEntry e : table.store().newScan().plan().files()) {
      org.apache.paimon.io.DataFileMeta file = e.file();
      RowType fileType = table.schemaManager().schema(file.schemaId()).logicalRowType();
      org.apache.paimon.predicate.Predicate p = filterOf(fileType, filter);
      ObjectNode o = JsonNodeFactory.instance.objectNode();
      o.put("fileName", file.fileName());
      o.put("level", file.level());
      byte[] bytes = null;
      org.apache.paimon.fileindex.FileIndexPredicate fip = null;
      if (file.embeddedIndex() != null) {
        bytes = file.embeddedIndex();
        o.put("index", "embedded");
        fip = new org.apache.paimon.fileindex.FileIndexPredicate(bytes, fileType);
      } else {
        List<String> idx = new ArrayList<>();
        for (String x : file.extraFiles()) if (x.endsWith(".index")) idx.add(x);
        if (idx.size() == 1) {
          org.apache.paimon.fs.Path path =
              table.store().pathFactory().createDataFilePathFactory(e.partition(), e.bucket()).toAlignedPath(idx.get(0), file);
          try (org.apache.paimon.fs.SeekableInputStream in = table.fileIO().newInputStream(path)) {
            bytes = org.apache.paimon.utils.IOUtils.readFully(in, true);
          }
          o.put("index", "extra");
          o.put("extraFile", idx.get(0));
          fip = new org.apache.paimon.fileindex.FileIndexPredicate(path, table.fileIO(), fileType);
        } else o.put("index", "none");
      }
      if (fip != null) {
        try {
          o.put("remain", fip.evaluate(p).remain());
        } finally {
          fip.close();
        }
        o.put("bytes", Base64.getEncoder().encodeToString(bytes));
      } else o.put("remain", true);
      out.println(JSON.writeValueAsString(o));
    }
  }

  /**
   * A batch read with FILTER.json pushed down (Java prunes files by stats and file index; rows are
   * not filtered exactly: the caller filters). Prints {"_splitFiles": N} first (data files planned).
   */
  private static void readFilter(String warehouse, String name, JsonNode filter, PrintStream out) throws Exception {
    Table table = table(warehouse, name);
    RowType rowType = table.rowType();
    ReadBuilder rb = table.newReadBuilder().withFilter(filterOf(rowType, filter));
    org.apache.paimon.table.source.TableScan.Plan plan = rb.newScan().plan();
    int files = 0;
    for (org.apache.paimon.table.source.Split sp : plan.splits())
      files += ((org.apache.paimon.table.source.DataSplit) sp).dataFiles().size();
    out.println(JSON.writeValueAsString(Collections.singletonMap("_splitFiles", files)));
    try (RecordReader<InternalRow> reader = rb.newRead().createReader(plan)) {
      reader.forEachRemaining(
          row -> {
            try {
              out.println(JSON.writeValueAsString(toJson(rowType, row)));
            } catch (Exception ex) {
              throw new RuntimeException(ex);
            }
          });
    }
  }

  private static void snapshots(String warehouse, String name, PrintStream out) throws Exception {
    FileStoreTable table = table(warehouse, name);
    Iterator<Snapshot> it = table.snapshotManager().snapshots();
    while (it.hasNext()) {
      Snapshot s = it.next();
      ObjectNode o = JsonNodeFactory.instance.objectNode();
      o.put("id", s.id());
      o.put("schemaId", s.schemaId());
      o.put("commitKind", s.commitKind().name());
      o.put("commitUser", s.commitUser());
      o.put("commitIdentifier", Long.toString(s.commitIdentifier()));
      o.put("totalRecordCount", s.totalRecordCount());
      o.put("deltaRecordCount", s.deltaRecordCount());
      o.put("timeMillis", s.timeMillis());
      out.println(JSON.writeValueAsString(o));
    }
  }

  private static void files(String warehouse, String name, PrintStream out) throws Exception {
    FileStoreTable table = table(warehouse, name);
    String root = table.location().toString();
    for (ManifestEntry e : table.store().newScan().plan().files()) {
      ObjectNode o = JsonNodeFactory.instance.objectNode();
      String dir = table.store().pathFactory().bucketPath(e.partition(), e.bucket()).toString();
      o.put("dir", dir.startsWith(root) ? dir.substring(root.length()).replaceFirst("^/", "") : dir);
      o.put("bucket", e.bucket());
      o.put("level", e.file().level());
      o.put("fileName", e.file().fileName());
      o.put("rowCount", e.file().rowCount());
      o.put("minSequenceNumber", e.file().minSequenceNumber());
      o.put("maxSequenceNumber", e.file().maxSequenceNumber());
      o.put("schemaId", e.file().schemaId());
      out.println(JSON.writeValueAsString(o));
    }
  }

  /** Full compaction of every (partition, bucket) holding files, in one commit (like CompactAction). */
  private static void compact(String warehouse, String name, PrintStream out) throws Exception {
    FileStoreTable table = table(warehouse, name);
    List<ManifestEntry> files = table.store().newScan().plan().files();
    LinkedHashMap<String, Object[]> targets = new LinkedHashMap<>();
    for (ManifestEntry e : files) {
      targets.putIfAbsent(e.partition().toString() + "/" + e.bucket(), new Object[] {e.partition(), e.bucket()});
    }
    BatchWriteBuilder builder = table.newBatchWriteBuilder();
    try (BatchTableWrite w = builder.newWrite().withIOManager(ioManager())) {
      for (Object[] t : targets.values()) w.compact((BinaryRow) t[0], (Integer) t[1], true);
      List<CommitMessage> messages = w.prepareCommit();
      try (BatchTableCommit c = builder.newCommit()) {
        c.commit(messages);
      }
    }
    Long latest = table.snapshotManager().latestSnapshotId();
    out.println(JSON.writeValueAsString(Collections.singletonMap("latestSnapshotId", latest)));
  }

  /**
   * ALTER TABLE through the catalog, all changes in one new schema. CHANGES is a JSON array of
   * {"addColumn": NAME, "type": T, "after": COL | "first": true}, {"dropColumn": NAME},
   * {"renameColumn": OLD, "to": NEW}, {"updateColumnType": NAME, "type": T},
   * {"moveColumn": NAME, "after": COL | "first": true}, {"setOption": KEY, "value": V}, {"removeOption": KEY}.
   * Prints {"schemaId": N}.
   */
  private static void alter(String warehouse, String name, JsonNode changes, PrintStream out) throws Exception {
    List<SchemaChange> list = new ArrayList<>();
    for (JsonNode c : changes) {
      if (c.has("addColumn")) {
        String col = c.get("addColumn").asText();
        list.add(SchemaChange.addColumn(col, parseType(c.get("type").asText()), null, move(col, c)));
      } else if (c.has("dropColumn")) list.add(SchemaChange.dropColumn(c.get("dropColumn").asText()));
      else if (c.has("renameColumn"))
        list.add(SchemaChange.renameColumn(c.get("renameColumn").asText(), c.get("to").asText()));
      else if (c.has("updateColumnType"))
        list.add(SchemaChange.updateColumnType(c.get("updateColumnType").asText(), parseType(c.get("type").asText())));
      else if (c.has("moveColumn")) list.add(SchemaChange.updateColumnPosition(move(c.get("moveColumn").asText(), c)));
      else if (c.has("setOption")) list.add(SchemaChange.setOption(c.get("setOption").asText(), c.get("value").asText()));
      else if (c.has("removeOption")) list.add(SchemaChange.removeOption(c.get("removeOption").asText()));
      else throw new IllegalArgumentException("unknown schema change " + c);
    }
    catalog(warehouse).alterTable(identifier(name), list, false);
    long schemaId = table(warehouse, name).schema().id();
    out.println(JSON.writeValueAsString(Collections.singletonMap("schemaId", schemaId)));
  }

  private static SchemaChange.Move move(String col, JsonNode c) {
    if (c.has("after")) return SchemaChange.Move.after(col, c.get("after").asText());
    if (c.has("first") && c.get("first").asBoolean()) return SchemaChange.Move.first(col);
    return null;
  }

  /**
   * Paimon's bucket for each key row ({"row": {...}} or a bare object), computed by the table's own
   * RowKeyExtractor, i.e. exactly what its writers use. The table is created in a temporary
   * warehouse from SPEC (no rows are written).
   */
  private static List<Integer> bucket(JsonNode spec, List<JsonNode> lines) throws Exception {
    java.nio.file.Path tmp = Files.createTempDirectory("eddy-interop-bucket");
    try {
      Catalog catalog = catalog(tmp.toString());
      Identifier id = Identifier.create("b", "t");
      catalog.createDatabase("b", true);
      catalog.createTable(id, schemaOf(spec), false);
      FileStoreTable table = (FileStoreTable) catalog.getTable(id);
      RowType rowType = table.rowType();
      RowKeyExtractor extractor = table.createRowKeyExtractor();
      List<Integer> out = new ArrayList<>();
      for (JsonNode l : lines) {
        JsonNode row = l.has("row") ? l.get("row") : l;
        extractor.setRecord(toRow(rowType, row, RowKind.INSERT));
        out.add(extractor.bucket());
      }
      return out;
    } finally {
      try (java.util.stream.Stream<java.nio.file.Path> s = Files.walk(tmp)) {
        s.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
      }
    }
  }

  // ----------------------------------------------------------------------------------------------
  // Canonical JSON <-> Paimon internal values

  static GenericRow toRow(RowType rowType, JsonNode json, RowKind kind) {
    List<DataField> fields = rowType.getFields();
    Object[] values = new Object[fields.size()];
    for (int i = 0; i < fields.size(); i++) {
      DataField f = fields.get(i);
      JsonNode v = json == null ? null : json.get(f.name());
      values[i] = v == null || v.isNull() ? null : toInternal(f.type(), v, f.name());
    }
    return GenericRow.ofKind(kind, values);
  }

  static Object toInternal(DataType t, JsonNode v, String where) {
    switch (t.getTypeRoot()) {
      case BOOLEAN:
        return v.asBoolean();
      case TINYINT:
        return (byte) v.asInt();
      case SMALLINT:
        return (short) v.asInt();
      case INTEGER:
        return v.asInt();
      case BIGINT:
        return Long.parseLong(v.asText());
      case FLOAT:
        return (float) toDouble(v);
      case DOUBLE:
        return toDouble(v);
      case CHAR:
      case VARCHAR:
        return BinaryString.fromString(v.asText());
      case BINARY:
      case VARBINARY:
        return Base64.getDecoder().decode(v.asText());
      case DECIMAL:
        {
          DecimalType d = (DecimalType) t;
          Decimal dec = Decimal.fromBigDecimal(new BigDecimal(v.asText()), d.getPrecision(), d.getScale());
          if (dec == null) throw new IllegalArgumentException(where + ": " + v + " does not fit " + t);
          return dec;
        }
      case DATE:
        return (int) LocalDate.parse(v.asText()).toEpochDay();
      case TIMESTAMP_WITHOUT_TIME_ZONE:
      case TIMESTAMP_WITH_LOCAL_TIME_ZONE:
        return Timestamp.fromLocalDateTime(LocalDateTime.parse(v.asText()));
      default:
        throw new IllegalArgumentException(where + ": unsupported type " + t);
    }
  }

  private static double toDouble(JsonNode v) {
    if (v.isNumber()) return v.asDouble();
    switch (v.asText()) {
      case "NaN":
        return Double.NaN;
      case "Infinity":
        return Double.POSITIVE_INFINITY;
      case "-Infinity":
        return Double.NEGATIVE_INFINITY;
      case "-0":
        return -0.0;
      default:
        return Double.parseDouble(v.asText());
    }
  }

  static ObjectNode toJson(RowType rowType, InternalRow row) {
    ObjectNode o = JsonNodeFactory.instance.objectNode();
    List<DataField> fields = rowType.getFields();
    for (int i = 0; i < fields.size(); i++) {
      DataField f = fields.get(i);
      if (row.isNullAt(i)) {
        o.putNull(f.name());
        continue;
      }
      DataType t = f.type();
      switch (t.getTypeRoot()) {
        case BOOLEAN:
          o.put(f.name(), row.getBoolean(i));
          break;
        case TINYINT:
          o.put(f.name(), row.getByte(i));
          break;
        case SMALLINT:
          o.put(f.name(), row.getShort(i));
          break;
        case INTEGER:
          o.put(f.name(), row.getInt(i));
          break;
        case BIGINT:
          o.put(f.name(), Long.toString(row.getLong(i)));
          break;
        case FLOAT:
          putDouble(o, f.name(), row.getFloat(i));
          break;
        case DOUBLE:
          putDouble(o, f.name(), row.getDouble(i));
          break;
        case CHAR:
        case VARCHAR:
          o.put(f.name(), row.getString(i).toString());
          break;
        case BINARY:
        case VARBINARY:
          o.put(f.name(), Base64.getEncoder().encodeToString(row.getBinary(i)));
          break;
        case DECIMAL:
          {
            DecimalType d = (DecimalType) t;
            o.put(f.name(), row.getDecimal(i, d.getPrecision(), d.getScale()).toBigDecimal().toPlainString());
            break;
          }
        case DATE:
          o.put(f.name(), LocalDate.ofEpochDay(row.getInt(i)).toString());
          break;
        case TIMESTAMP_WITHOUT_TIME_ZONE:
          o.put(f.name(), formatTs(row.getTimestamp(i, ((TimestampType) t).getPrecision())));
          break;
        case TIMESTAMP_WITH_LOCAL_TIME_ZONE:
          o.put(f.name(), formatTs(row.getTimestamp(i, ((LocalZonedTimestampType) t).getPrecision())));
          break;
        default:
          o.put(f.name(), "<unsupported " + t + ">");
      }
    }
    // A batch read returns the surviving row of each key, +I or +U; a retraction would be a bug.
    if (row.getRowKind() == RowKind.DELETE || row.getRowKind() == RowKind.UPDATE_BEFORE)
      o.put("_kind", row.getRowKind().shortString());
    return o;
  }

  private static void putDouble(ObjectNode o, String name, double d) {
    if (Double.isNaN(d)) o.put(name, "NaN");
    else if (Double.isInfinite(d)) o.put(name, d > 0 ? "Infinity" : "-Infinity");
    else if (d == 0.0 && 1.0 / d < 0) o.put(name, "-0");
    else o.put(name, d);
  }

  private static String formatTs(Timestamp ts) {
    return TS.format(ts.toLocalDateTime());
  }

  // ----------------------------------------------------------------------------------------------

  private static JsonNode readJson(String path) throws Exception {
    return JSON.readTree(Files.readAllBytes(Paths.get(path)));
  }

  private static List<JsonNode> readLines(String path) throws Exception {
    List<JsonNode> out = new ArrayList<>();
    try (BufferedReader r = Files.newBufferedReader(Paths.get(path), StandardCharsets.UTF_8)) {
      String line;
      while ((line = r.readLine()) != null) {
        if (!line.isBlank()) out.add(JSON.readTree(line));
      }
    }
    return out;
  }
}
