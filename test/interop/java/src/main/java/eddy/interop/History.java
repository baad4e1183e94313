package eddy.interop;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Paths;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.SortedMap;
import org.apache.paimon.Changelog;
import org.apache.paimon.Snapshot;
import org.apache.paimon.catalog.Catalog;
import org.apache.paimon.catalog.CatalogContext;
import org.apache.paimon.catalog.CatalogFactory;
import org.apache.paimon.catalog.Identifier;
import org.apache.paimon.data.InternalRow;
import org.apache.paimon.disk.IOManager;
import org.apache.paimon.manifest.ManifestCommittable;
import org.apache.paimon.options.Options;
import org.apache.paimon.reader.RecordReader;
import org.apache.paimon.schema.SchemaChange;
import org.apache.paimon.table.FileStoreTable;
import org.apache.paimon.table.Table;
import org.apache.paimon.table.sink.CommitMessage;
import org.apache.paimon.table.sink.TableCommitImpl;
import org.apache.paimon.table.sink.TableWriteImpl;
import org.apache.paimon.table.source.ReadBuilder;
import org.apache.paimon.table.source.StreamTableScan;
import org.apache.paimon.table.source.TableScan;
import org.apache.paimon.types.RowKind;
import org.apache.paimon.types.RowType;
import org.apache.paimon.utils.TimeUtils;

/**
 * History scenarios on the Apache Paimon Java API, for test/interop/history.test.ts: schema
 * evolution, tags, changelog lifecycle, watermarks, postpone-bucket tables. One command:
 *
 * <pre>
 * script WAREHOUSE DB.TABLE STEPS.json
 * </pre>
 *
 * STEPS is a JSON array of steps run in order in one JVM; each prints one JSON line {"step": i,
 * "op": ..., ...}. Steps:
 *
 * <pre>
 * {"op":"create","spec":{...}}                            create the table (spec as in Interop)
 * {"op":"write","rows":[{"kind","row"}],"watermark":"-9223372036854775808","bucket":"2"}
 *     one commit through TableCommitImpl (so expiry runs after it, as in a Flink job); "watermark"
 *     sets the snapshot's watermark; "bucket" writes through a copy of the table with that bucket
 *     count (what Paimon's postpone-bucket batch writes and compaction do)
 * {"op":"alter","changes":[{"add":"c","type":"STRING"} | {"drop":"c"} | {"rename":["a","b"]}
 *     | {"set":["k","v"]}]}
 * {"op":"compact"}                                         full compaction of every bucket
 * {"op":"tag","name":"t","snapshot":3,"timeRetained":"1 h"}   (snapshot, timeRetained optional)
 * {"op":"deleteTag","name":"t"}
 * {"op":"rollback","snapshot":3} | {"op":"rollback","tag":"t"}
 * {"op":"expire"}                                          snapshot then changelog expiry, table options
 * {"op":"read","snapshot":3 | "tag":"t"}                   batch read (time travel): {"fields","rows"}
 * {"op":"audit","between":"a,b"}                           $audit_log with incremental-between: rows + "_kind"
 * {"op":"stream","from":N,"to":M}                          streaming read from snapshot N up to M: rows + "_kind"
 * {"op":"state"}                                           snapshot ids, long-lived changelog ids, tags
 * </pre>
 */
public final class History {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static IOManager ioManager;

  public static void main(String[] args) throws Exception {
    if (args.length != 4 || !args[0].equals("script")) {
      System.err.println("usage: script WAREHOUSE DB.TABLE STEPS.json");
      System.exit(2);
    }
    PrintStream out =
        new PrintStream(
            new java.io.BufferedOutputStream(new java.io.FileOutputStream(java.io.FileDescriptor.out), 1 << 16),
            false,
            StandardCharsets.UTF_8);
    try {
      Catalog catalog = catalog(args[1]);
      Identifier id = identifier(args[2]);
      JsonNode steps = JSON.readTree(Files.readAllBytes(Paths.get(args[3])));
      int i = 0;
      for (JsonNode step : steps) {
        ObjectNode result = JsonNodeFactory.instance.objectNode();
        result.put("step", i++);
        result.put("op", step.get("op").asText());
        run(catalog, id, step, result);
        out.println(JSON.writeValueAsString(result));
        out.flush();
      }
    } finally {
      out.flush();
      if (ioManager != null) ioManager.close();
    }
    System.exit(0);
  }

  private static Catalog catalog(String warehouse) {
    Options options = new Options();
    options.set("warehouse", warehouse);
    return CatalogFactory.createCatalog(CatalogContext.create(options));
  }

  private static Identifier identifier(String name) {
    int dot = name.indexOf('.');
    return Identifier.create(name.substring(0, dot), name.substring(dot + 1));
  }

  private static IOManager ioManager() {
    if (ioManager == null) ioManager = IOManager.create(System.getProperty("java.io.tmpdir"));
    return ioManager;
  }

  private static long commitIdentifier = 1;

  private static void run(Catalog catalog, Identifier id, JsonNode step, ObjectNode result) throws Exception {
    String op = step.get("op").asText();
    if (op.equals("create")) {
      catalog.createDatabase(id.getDatabaseName(), true);
      catalog.createTable(id, Interop.schemaOf(step.get("spec")), false);
      return;
    }
    FileStoreTable table = (FileStoreTable) catalog.getTable(id);
    switch (op) {
      case "write":
        {
          FileStoreTable target = table;
          if (step.has("bucket")) {
            Map<String, String> o = new HashMap<>(table.options());
            o.put("bucket", step.get("bucket").asText());
            target = table.copy(table.schema().copy(o));
          }
          String user = "eddy-history-" + id.getObjectName();
          RowType rowType = target.rowType();
          long identifier = commitIdentifier++;
          List<CommitMessage> messages;
          try (TableWriteImpl<?> w = target.newWrite(user).withIOManager(ioManager())) {
            for (JsonNode l : step.get("rows")) {
              RowKind kind = RowKind.fromShortString(l.has("kind") ? l.get("kind").asText() : "+I");
              w.write(Interop.toRow(rowType, l.get("row"), kind));
            }
            messages = w.prepareCommit(true, identifier);
          }
          Long watermark = step.has("watermark") ? Long.parseLong(step.get("watermark").asText()) : null;
          ManifestCommittable committable = new ManifestCommittable(identifier, watermark);
          for (CommitMessage m : messages) committable.addFileCommittable(m);
          try (TableCommitImpl c = target.newCommit(user)) {
            c.commit(committable);
          }
          result.put("snapshotId", table.snapshotManager().latestSnapshotId());
          return;
        }
      case "alter":
        {
          List<SchemaChange> changes = new ArrayList<>();
          for (JsonNode c : step.get("changes")) {
            if (c.has("add")) changes.add(SchemaChange.addColumn(c.get("add").asText(), Interop.parseType(c.get("type").asText())));
            else if (c.has("drop")) changes.add(SchemaChange.dropColumn(c.get("drop").asText()));
            else if (c.has("rename")) changes.add(SchemaChange.renameColumn(c.get("rename").get(0).asText(), c.get("rename").get(1).asText()));
            else if (c.has("set")) changes.add(SchemaChange.setOption(c.get("set").get(0).asText(), c.get("set").get(1).asText()));
            else throw new IllegalArgumentException("unknown change " + c);
          }
          catalog.alterTable(id, changes, false);
          result.put("schemaId", ((FileStoreTable) catalog.getTable(id)).schema().id());
          return;
        }
      case "compact":
        {
          String user = "eddy-history-compact";
          long identifier = commitIdentifier++;
          List<CommitMessage> messages;
          try (TableWriteImpl<?> w = table.newWrite(user).withIOManager(ioManager())) {
            Map<String, Object[]> targets = new java.util.LinkedHashMap<>();
            for (org.apache.paimon.manifest.ManifestEntry e : table.store().newScan().plan().files()) {
              if (e.bucket() < 0) continue;
              targets.putIfAbsent(e.partition().toString() + "/" + e.bucket(), new Object[] {e.partition(), e.bucket()});
            }
            for (Object[] t : targets.values()) w.compact((org.apache.paimon.data.BinaryRow) t[0], (Integer) t[1], true);
            messages = w.prepareCommit(true, identifier);
          }
          try (TableCommitImpl c = table.newCommit(user)) {
            c.commit(identifier, messages);
          }
          result.put("snapshotId", table.snapshotManager().latestSnapshotId());
          return;
        }
      case "tag":
        {
          String name = step.get("name").asText();
          boolean hasSnapshot = step.has("snapshot");
          if (step.has("timeRetained")) {
            Duration d = TimeUtils.parseDuration(step.get("timeRetained").asText());
            if (hasSnapshot) table.createTag(name, step.get("snapshot").asLong(), d);
            else table.createTag(name, d);
          } else if (hasSnapshot) table.createTag(name, step.get("snapshot").asLong());
          else table.createTag(name);
          result.put("json", table.fileIO().readFileUtf8(table.tagManager().tagPath(name)));
          return;
        }
      case "deleteTag":
        table.deleteTag(step.get("name").asText());
        return;
      case "rollback":
        if (step.has("tag")) table.rollbackTo(step.get("tag").asText());
        else table.rollbackTo(step.get("snapshot").asLong());
        return;
      case "expire":
        {
          org.apache.paimon.options.ExpireConfig config = table.coreOptions().expireConfig();
          result.put("snapshots", table.newExpireSnapshots().config(config).expire());
          if (table.coreOptions().changelogLifecycleDecoupled())
            result.put("changelogs", table.newExpireChangelog().config(config).expire());
          return;
        }
      case "read":
        {
          Table t = table;
          if (step.has("snapshot")) t = table.copy(Collections.singletonMap("scan.snapshot-id", step.get("snapshot").asText()));
          else if (step.has("tag")) t = table.copy(Collections.singletonMap("scan.tag-name", step.get("tag").asText()));
          RowType rowType = t.rowType();
          result.set("fields", fieldNames(rowType));
          ArrayNode rows = result.putArray("rows");
          ReadBuilder rb = t.newReadBuilder();
          try (RecordReader<InternalRow> reader = rb.newRead().createReader(rb.newScan().plan())) {
            reader.forEachRemaining(row -> rows.add(withKind(rowType, row)));
          }
          return;
        }
      case "audit":
        {
          Table audit = catalog.getTable(Identifier.create(id.getDatabaseName(), id.getObjectName() + "$audit_log"));
          audit = audit.copy(Collections.singletonMap("incremental-between", step.get("between").asText()));
          RowType rowType = audit.rowType();
          ArrayNode rows = result.putArray("rows");
          ReadBuilder rb = audit.newReadBuilder();
          try (RecordReader<InternalRow> reader = rb.newRead().createReader(rb.newScan().plan())) {
            reader.forEachRemaining(row -> rows.add(Interop.toJson(rowType, row)));
          }
          return;
        }
      case "stream":
        {
          Map<String, String> o = new HashMap<>();
          o.put("scan.mode", "from-snapshot");
          o.put("scan.snapshot-id", step.get("from").asText());
          Table t = table.copy(o);
          long to = step.get("to").asLong();
          RowType rowType = t.rowType();
          result.set("fields", fieldNames(rowType));
          ArrayNode rows = result.putArray("rows");
          ReadBuilder rb = t.newReadBuilder();
          StreamTableScan scan = rb.newStreamScan();
          for (int guard = 0; guard < 10_000; guard++) {
            TableScan.Plan plan = scan.plan();
            try (RecordReader<InternalRow> reader = rb.newRead().createReader(plan)) {
              reader.forEachRemaining(row -> rows.add(withKind(rowType, row)));
            }
            Long next = scan.checkpoint();
            if (next != null && next > to) break;
            if (plan.splits().isEmpty() && next != null && next <= to && guard > 200)
              throw new IllegalStateException("stream stuck before snapshot " + next);
          }
          return;
        }
      case "state":
        {
          ArrayNode snaps = result.putArray("snapshots");
          Iterator<Snapshot> it = table.snapshotManager().snapshots();
          while (it.hasNext()) {
            Snapshot s = it.next();
            ObjectNode o = snaps.addObject();
            o.put("id", s.id());
            o.put("schemaId", s.schemaId());
            o.put("commitKind", s.commitKind().name());
            if (s.watermark() != null) o.put("watermark", Long.toString(s.watermark()));
          }
          ArrayNode changelogs = result.putArray("changelogs");
          Iterator<Changelog> cl = table.changelogManager().changelogs();
          while (cl.hasNext()) changelogs.add(cl.next().id());
          ObjectNode tags = result.putObject("tags");
          SortedMap<Snapshot, List<String>> all = table.tagManager().tags();
          for (Map.Entry<Snapshot, List<String>> e : all.entrySet())
            for (String n : e.getValue()) tags.put(n, e.getKey().id());
          return;
        }
      default:
        throw new IllegalArgumentException("unknown op " + op);
    }
  }

  private static ArrayNode fieldNames(RowType rowType) {
    ArrayNode a = JsonNodeFactory.instance.arrayNode();
    rowType.getFields().forEach(f -> a.add(f.name()));
    return a;
  }

  private static ObjectNode withKind(RowType rowType, InternalRow row) {
    ObjectNode o = Interop.toJson(rowType, row);
    o.put("_kind", row.getRowKind().shortString());
    return o;
  }
}
