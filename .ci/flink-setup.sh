#!/usr/bin/env bash
# Installs what `npm run test:flink` needs (see test/flink/README.md):
#  - a virtualenv test/flink/.venv with Apache Flink's PyFlink (apache-flink 2.0.2 from PyPI, pinned
#    with every dependency in test/flink/python/requirements.txt); its jobs run on a local
#    mini-cluster in one JVM (Java 17);
#  - the Paimon Flink connector and Hadoop's client jars from Maven Central (test/flink/jars.txt),
#    copied to test/flink/.jars (downloads cached in ~/.m2);
#  - the driver's RowPump (test/flink/java), compiled with javac against PyFlink's jars into
#    .jars/eddy-flink-driver.jar;
#  all listed in .jars/classpath.txt.
# Idempotent: each part is skipped while its inputs are unchanged (about a second when warm).
# Needs java 17+ (javac, jar), mvn and python3 (with venv) on PATH, and PyPI and Maven Central.
set -euo pipefail
cd "$(dirname "$0")/.."
dir=test/flink

# --- Python (PyFlink) --------------------------------------------------------------------------
venv=$dir/.venv
req=$dir/python/requirements.txt
stamp=$venv/.requirements.installed
if [[ -x $venv/bin/python && -f $stamp ]] && cmp -s "$req" "$stamp"; then
  echo "flink-setup: PyFlink virtualenv up to date"
else
  echo "flink-setup: installing PyFlink into $venv"
  [[ -x $venv/bin/python ]] || python3 -m venv "$venv"
  "$venv/bin/pip" install --disable-pip-version-check --no-input -q --prefer-binary -r "$req"
  cp "$req" "$stamp"
fi

# --- Jars (Maven Central) ----------------------------------------------------------------------
jars=$dir/.jars
list=$dir/jars.txt
mapfile -t coords < <(grep -v '^\s*\(#\|$\)' "$list")
jar_of() { # group:artifact:version -> .jars/artifact-version.jar
  local IFS=:
  read -r _ a v <<<"$1"
  echo "$jars/$a-$v.jar"
}
jars_fresh() {
  cmp -s "$list" "$jars/.jars.txt" || return 1
  local c
  for c in "${coords[@]}"; do [[ -s $(jar_of "$c") ]] || return 1; done
}
if jars_fresh; then
  echo "flink-setup: connector jars up to date"
else
  echo "flink-setup: fetching ${coords[*]}"
  rm -rf "$jars"
  mkdir -p "$jars"
  for c in "${coords[@]}"; do
    mvn -q -B -Dstyle.color=never dependency:copy -Dartifact="$c" -DoutputDirectory="$PWD/$jars" 2>&1 | sed "s/\x1b\[[0-9;]*m//g"
    [[ -s $(jar_of "$c") ]] || { echo "flink-setup: $c did not arrive as $(jar_of "$c")" >&2; exit 1; }
  done
  cp "$list" "$jars/.jars.txt"
fi
# --- The driver's Java helper ---------------------------------------------------------------------
helper=$jars/eddy-flink-driver.jar
if [[ -s $helper && -z "$(find "$dir/java" -newer "$helper" -print -quit)" ]]; then
  echo "flink-setup: driver helper up to date"
else
  echo "flink-setup: compiling the driver helper"
  pylib=$("$venv/bin/python" -c 'import os, pyflink; print(os.path.join(os.path.dirname(pyflink.__file__), "lib"))')
  classes=$(mktemp -d)
  javac -nowarn --release 17 -d "$classes" -cp "$pylib/*" "$dir"/java/*.java
  jar cf "$helper" -C "$classes" .
  rm -rf "$classes"
fi

cp_file=$jars/classpath.txt
: >"$cp_file.tmp"
for c in "${coords[@]}"; do printf '%s\n' "$PWD/$(jar_of "$c")" >>"$cp_file.tmp"; done
printf '%s\n' "$PWD/$helper" >>"$cp_file.tmp"
paste -sd: "$cp_file.tmp" >"$cp_file" && rm "$cp_file.tmp"

java -version 2>&1 | head -1 | sed 's/^/flink-setup: /'
"$venv/bin/python" -c 'import importlib.metadata as m; print("flink-setup: apache-flink", m.version("apache-flink"))'
echo "flink-setup: jars: $(tr ':' ' ' <"$cp_file" | xargs -n1 basename | tr '\n' ' ')"
