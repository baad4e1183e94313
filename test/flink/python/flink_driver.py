"""One long-lived PyFlink process for the Flink suite (test/flink/README.md).

It starts one JVM (PyFlink's gateway) with one session mini-cluster that runs every job, and takes
commands as JSON lines on stdin, so the cells share the JVM start and the planner warm-up instead
of paying them per cell. Replies and stream events are JSON lines on stdout:

  {"id": n, "op": "sql", "mode": "batch"|"stream", "statements": [...], "config": {...}}
      -> {"id": n, "ok": true, "results": [{"columns": [...], "rows": [{"kind": "+I", "row": {...}}]}]}
         runs each statement to completion (DDL, INSERT, CALL, SELECT) and collects any rows.
  {"id": n, "op": "submit", "name": "job1", "mode": ..., "sql": "INSERT ...", "config": {...}}
      -> {"id": n, "ok": true, "jobId": "..."}  starts a job and returns at once
  {"id": n, "op": "wait", "name": "job1", "timeoutMs": 60000}
      -> {"id": n, "ok": true, "status": "FINISHED"}  (ok false with the failure cause)
  {"id": n, "op": "status", "name": "job1"} -> {"id": n, "ok": true, "status": "RUNNING"}
  {"id": n, "op": "open", "name": "s1", "sql": "SELECT ...", "config": {...}}
      -> {"id": n, "ok": true, "jobId": "..."}; then one line per row as it arrives:
         {"stream": "s1", "kind": "-U", "row": {...}, "t": <epoch ms when the row reached Python>}
         and at the end {"stream": "s1", "end": true, "error": null | "..."}
  {"id": n, "op": "cancel", "name": "s1"|"job1"} -> {"id": n, "ok": true}

`config` entries are set on the table environment for that statement or job only. Values are
printed losslessly: integers and decimals as strings, dates "YYYY-MM-DD", timestamps
"YYYY-MM-DDTHH:MM:SS.ffffff", bytes base64, non-finite floats as "NaN"/"Infinity"/"-Infinity".
The node side (driver.ts) turns them into the canonical form of test/interop/canonical.ts.

The connector jars (the setup's .jars/classpath.txt) go on the JVM's class path through
HADOOP_CLASSPATH, which PyFlink's gateway launcher appends to it (driver.ts sets it): a job on the
job then finds the Paimon catalog factory whatever thread py4j serves a call on.
(`pipeline.jars` instead adds them to the context class loader of the py4j thread that set it, and
a later call on another thread then fails with "Could not find any factory for identifier 'paimon'".)
"""

import base64
import datetime
import decimal
import json
import math
import os
import sys
import threading
import time
import traceback

OUT_LOCK = threading.Lock()
REAL_STDOUT = sys.stdout
# PyFlink and py4j may print to stdout; keep the protocol channel clean.
sys.stdout = sys.stderr


def emit(obj):
    line = json.dumps(obj, separators=(",", ":"))
    with OUT_LOCK:
        REAL_STDOUT.write(line + "\n")
        REAL_STDOUT.flush()


def value(v):
    if v is None or isinstance(v, (bool, str)):
        return v
    if isinstance(v, int):
        return str(v)
    if isinstance(v, float):
        if math.isnan(v):
            return "NaN"
        if math.isinf(v):
            return "Infinity" if v > 0 else "-Infinity"
        if v == 0 and math.copysign(1, v) < 0:
            return "-0"
        return v
    if isinstance(v, decimal.Decimal):
        return format(v, "f")
    if isinstance(v, (bytes, bytearray)):
        return base64.b64encode(bytes(v)).decode("ascii")
    if isinstance(v, datetime.datetime):
        return v.strftime("%Y-%m-%dT%H:%M:%S") + ".%06d" % v.microsecond
    if isinstance(v, datetime.date):
        return v.isoformat()
    if isinstance(v, datetime.time):
        return v.isoformat()
    raise TypeError("no canonical form for %r (%s)" % (v, type(v).__name__))


def row_json(columns, r):
    return {"kind": str(r.get_row_kind()), "row": {c: value(r[i]) for i, c in enumerate(columns)}}


def describe(e):
    """The Java cause chain of an exception, without the stack frames."""
    text = str(e)
    lines = [ln for ln in text.splitlines() if ln and not ln.startswith("\tat ") and not ln.startswith("\t... ")]
    return "\n".join(lines[:40])


class Driver:
    def __init__(self):
        from pyflink.java_gateway import get_gateway
        from pyflink.table import EnvironmentSettings, TableEnvironment

        # One session mini-cluster in the gateway JVM for every job: a job then costs about a second
        # instead of the two to four a fresh per-job mini-cluster takes (PyFlink's local default).
        jvm = get_gateway().jvm
        conf = jvm.org.apache.flink.configuration.Configuration()
        conf.setString("rest.bind-address", "127.0.0.1")
        conf.setString("rest.address", "127.0.0.1")
        conf.setString("rest.port", "0")  # any free port: other sessions may run their own
        slots = int(os.environ.get("FLINK_SLOTS", "16"))
        mc_conf = (
            jvm.org.apache.flink.runtime.minicluster.MiniClusterConfiguration.Builder()
            .setConfiguration(conf)
            .setNumTaskManagers(1)
            .setNumSlotsPerTaskManager(slots)
            .build()
        )
        self.cluster = jvm.org.apache.flink.runtime.minicluster.MiniCluster(mc_conf)
        self.cluster.start()
        self.rest_port = self.cluster.getRestAddress().get().getPort()

        self.envs = {}
        for mode, settings in (
            ("batch", EnvironmentSettings.in_batch_mode()),
            ("stream", EnvironmentSettings.in_streaming_mode()),
        ):
            env = TableEnvironment.create(settings)
            conf = env.get_config()
            conf.set("execution.target", "remote")
            conf.set("rest.address", "127.0.0.1")
            conf.set("rest.port", str(self.rest_port))
            conf.set("parallelism.default", os.environ.get("FLINK_PARALLELISM", "1"))
            conf.set("table.local-time-zone", "UTC")
            self.envs[mode] = env
        self.jobs = {}  # name -> TableResult
        self.streams = {}  # name -> (TableResult, pump thread, iterator)
        self.cancelled = set()

    def _with_config(self, mode, config, fn):
        env = self.envs[mode]
        conf = env.get_config()
        before = {k: conf.get(k, None) for k in config}
        for k, v in config.items():
            conf.set(k, str(v))
        try:
            return fn(env)
        finally:
            for k, v in before.items():
                if v is None:
                    conf.get_configuration().remove_config(k)
                else:
                    conf.set(k, v)

    def sql(self, req):
        mode = req.get("mode", "batch")
        results = []

        def run(env):
            for stmt in req["statements"]:
                res = env.execute_sql(stmt)
                columns = list(res.get_table_schema().get_field_names())
                rows = []
                if res.get_job_client() is not None or columns != ["result"]:
                    with res.collect() as it:
                        for r in it:
                            rows.append(row_json(columns, r))
                results.append({"columns": columns, "rows": rows})

        self._with_config(mode, req.get("config", {}), run)
        return {"results": results}

    def submit(self, req):
        name = req["name"]
        res = self._with_config(req.get("mode", "stream"), req.get("config", {}), lambda env: env.execute_sql(req["sql"]))
        self.jobs[name] = res
        return {"jobId": str(res.get_job_client().get_job_id())}

    def wait(self, req):
        res = self.jobs[req["name"]]
        res.wait(int(req.get("timeoutMs", 120000)))
        return {"status": str(res.get_job_client().get_job_status().result())}

    def status(self, req):
        res = self.jobs.get(req["name"]) or self.streams[req["name"]][0]
        return {"status": str(res.get_job_client().get_job_status().result())}

    def open(self, req):
        name = req["name"]
        res = self._with_config("stream", req.get("config", {}), lambda env: env.execute_sql(req["sql"]))
        columns = list(res.get_table_schema().get_field_names())
        it = res.collect()

        def pump():
            error = None
            try:
                for r in it:
                    t = time.time() * 1000.0
                    ev = row_json(columns, r)
                    ev["stream"] = name
                    ev["t"] = t
                    emit(ev)
            except Exception as e:  # cancelled by us, or the job failed
                error = None if name in self.cancelled else describe(e)
            emit({"stream": name, "end": True, "error": error})

        th = threading.Thread(target=pump, name="stream-" + name, daemon=True)
        self.streams[name] = (res, th, it)
        th.start()
        return {"jobId": str(res.get_job_client().get_job_id())}

    def cancel(self, req):
        name = req["name"]
        self.cancelled.add(name)
        if name in self.streams:
            res, th, it = self.streams.pop(name)
            try:
                res.get_job_client().cancel().result()
            except Exception:
                pass  # already finished
            try:
                it.close()
            except Exception:
                pass
            th.join(30)
        elif name in self.jobs:
            res = self.jobs.pop(name)
            try:
                res.get_job_client().cancel().result()
            except Exception:
                pass
        return {}


def main():
    t0 = time.time()
    driver = Driver()
    emit({"ready": True, "startMs": round((time.time() - t0) * 1000), "restPort": driver.rest_port})
    ops = {
        "sql": driver.sql,
        "submit": driver.submit,
        "wait": driver.wait,
        "status": driver.status,
        "open": driver.open,
        "cancel": driver.cancel,
    }
    for line in sys.stdin:
        line = line.strip()
        if not line:
            continue
        req = json.loads(line)
        rid = req.get("id")
        if req.get("op") == "quit":
            emit({"id": rid, "ok": True})
            break
        try:
            out = ops[req["op"]](req)
            out.update({"id": rid, "ok": True})
            emit(out)
        except Exception as e:
            traceback.print_exc(file=sys.stderr)
            emit({"id": rid, "ok": False, "error": describe(e)})
    for name in list(driver.streams):
        driver.cancel({"name": name})
    for name in list(driver.jobs):
        driver.cancel({"name": name})
    driver.cluster.close()


if __name__ == "__main__":
    main()
