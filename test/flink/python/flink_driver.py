"""One long-lived PyFlink process for the Flink suite (test/flink/README.md).

It starts one JVM (PyFlink's gateway) with one session mini-cluster that runs every job, and takes
commands as JSON lines on stdin, so the cells share the JVM start and the planner warm-up instead
of paying them per cell. Replies and stream events are JSON lines on stdout:

  {"id": n, "op": "sql", "mode": "batch"|"stream"|"call", "statements": [...], "config": {...}}
      -> {"id": n, "ok": true, "results": [{"columns": [...], "rows": [{"kind": "+I", "row": {...}}]}]}
         runs each statement to completion (DDL, INSERT, CALL, SELECT) and collects any rows.
  {"id": n, "op": "submit", "name": "job1", "mode": ..., "sql": "INSERT ...", "config": {...}}
      -> {"id": n, "ok": true, "jobId": "..."}  starts a job and returns at once
  {"id": n, "op": "wait", "name": "job1", "timeoutMs": 60000}
      -> {"id": n, "ok": true, "status": "FINISHED"}  (ok false with the failure cause)
  {"id": n, "op": "status", "name": "job1"} -> {"id": n, "ok": true, "status": "RUNNING"}
  {"id": n, "op": "open", "name": "s1", "sql": "SELECT ...", "config": {...}}
      -> {"id": n, "ok": true, "jobId": "..."}; then one line per row as it arrives:
         {"stream": "s1", "kind": "-U", "row": {...}, "t": <epoch ms, see below>}
         and at the end {"stream": "s1", "end": true, "error": null | "..."}
  {"id": n, "op": "cancel", "name": "s1"|"job1"} -> {"id": n, "ok": true}

`config` entries are set on the table environment for that statement or job only. Rows come
from RowPump (java/RowPump.java, one py4j call per batch of rows), which prints values
losslessly: integers and decimals as strings, dates "YYYY-MM-DD", timestamps
"YYYY-MM-DDTHH:MM:SS.ffffff", bytes base64, non-finite floats as "NaN"/"Infinity"/"-Infinity";
`t` is the epoch millisecond at which the row left Flink's result iterator. The node side
(driver.ts) turns them into the canonical form of test/interop/canonical.ts.

The connector jars (the setup's .jars/classpath.txt) go on the JVM's class path through
HADOOP_CLASSPATH, which PyFlink's gateway launcher appends to it (driver.ts sets it): a job then
finds the Paimon catalog factory whatever thread py4j serves a call on.
(`pipeline.jars` instead adds them to the context class loader of the py4j thread that set it, and
a later call on another thread then fails with "Could not find any factory for identifier 'paimon'".)
"""

import json
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
            # Paimon's procedures (CALL sys.compact) build and run their own job from the table
            # environment's configuration: pointed at the session cluster's REST port they would
            # start a local cluster on that same port (BindException), so they get a batch
            # environment of their own that runs each job on a fresh local mini-cluster.
            ("call", EnvironmentSettings.in_batch_mode()),
        ):
            env = TableEnvironment.create(settings)
            conf = env.get_config()
            if mode != "call":
                conf.set("execution.target", "remote")
                conf.set("rest.address", "127.0.0.1")
                conf.set("rest.port", str(self.rest_port))
            else:
                conf.set("table.dml-sync", "true")  # a procedure's job runs to its end before CALL returns
            conf.set("parallelism.default", os.environ.get("FLINK_PARALLELISM", "1"))
            conf.set("table.local-time-zone", "UTC")
            self.envs[mode] = env
        self.jobs = {}  # name -> TableResult
        self.streams = {}  # name -> (TableResult, forwarding thread, RowPump)
        self.jvm = jvm
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

    def pump(self, res):
        """The result's rows through RowPump (java/RowPump.java): JSON lines in batches."""
        return self.jvm.eddy.flink.RowPump(res._j_table_result)

    def sql(self, req):
        mode = req.get("mode", "batch")
        results = []

        def run(env):
            for stmt in req["statements"]:
                res = env.execute_sql(stmt)
                columns = list(res.get_table_schema().get_field_names())
                rows = []
                if res.get_job_client() is not None or columns != ["result"]:
                    pump = self.pump(res)
                    try:
                        while True:
                            batch = pump.poll(1000, 10000)
                            if batch is None:
                                break
                            rows.extend(json.loads(line) for line in batch.splitlines())
                        if pump.error() is not None:
                            raise RuntimeError(pump.error())
                    finally:
                        pump.close()
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
        return {"status": str(res.get_job_client().get_job_status().result()).split(".")[-1]}

    def status(self, req):
        res = self.jobs.get(req["name"]) or self.streams[req["name"]][0]
        return {"status": str(res.get_job_client().get_job_status().result()).split(".")[-1]}

    def open(self, req):
        name = req["name"]
        res = self._with_config("stream", req.get("config", {}), lambda env: env.execute_sql(req["sql"]))
        pump = self.pump(res)
        prefix = '{"stream":%s,' % json.dumps(name)

        def forward():
            error = None
            try:
                while True:
                    batch = pump.poll(200, 5000)
                    if batch is None:
                        break
                    if batch:
                        with OUT_LOCK:
                            for line in batch.splitlines():
                                REAL_STDOUT.write(prefix + line[1:] + "\n")
                            REAL_STDOUT.flush()
                error = pump.error()
            except Exception as e:
                error = describe(e)
            emit({"stream": name, "end": True, "error": None if name in self.cancelled else error})

        th = threading.Thread(target=forward, name="stream-" + name, daemon=True)
        self.streams[name] = (res, th, pump)
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


def die_with_parent():
    """Exit when the node process that started us dies, however it dies (a test runner killing its
    worker runs no exit handler): otherwise the JVM's jobs would go on writing into a warehouse the
    next run recreates. The JVM exits by itself when we do (PyFlink's gateway watches its stdin)."""
    try:
        import ctypes
        import signal

        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except Exception:  # not Linux: poll instead
        parent = os.getppid()

        def watch():
            while os.getppid() == parent:
                time.sleep(1)
            os._exit(1)

        threading.Thread(target=watch, daemon=True).start()


def main():
    die_with_parent()
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
    # stdin closed or "quit": stop what runs, but never hang on the way out
    deadline = threading.Timer(20, lambda: os._exit(0))
    deadline.daemon = True
    deadline.start()
    for name in list(driver.streams):
        driver.cancel({"name": name})
    for name in list(driver.jobs):
        driver.cancel({"name": name})
    driver.cluster.close()


if __name__ == "__main__":
    main()
