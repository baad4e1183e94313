#!/usr/bin/env bash
# Builds what `npm run test:interop` needs (see test/interop/README.md):
#  - the Apache Paimon Java driver: `mvn package` in test/interop/java (jars cached in ~/.m2),
#    giving target/eddy-interop.jar and target/classpath.txt;
#  - a virtualenv test/interop/.venv with pypaimon and its pinned dependencies.
# Idempotent: each part is skipped while its inputs are unchanged (about a second on a warm machine).
# Needs java 17+, mvn and python3 (with venv) on PATH, and Maven Central and PyPI.
set -euo pipefail
cd "$(dirname "$0")/.."
dir=test/interop

# --- Java ------------------------------------------------------------------------------------
jar=$dir/java/target/eddy-interop.jar
cp=$dir/java/target/classpath.txt
java_fresh() {
  [[ -f $jar && -f $cp ]] || return 1
  [[ -z "$(find "$dir/java/pom.xml" "$dir/java/src" -newer "$jar" -print -quit)" ]] || return 1
  local f
  for f in $(tr ':' ' ' <"$cp"); do [[ -f $f ]] || return 1; done
}
if java_fresh; then
  echo "interop-setup: Java driver up to date"
else
  echo "interop-setup: building the Java driver (Paimon $(sed -n 's:.*<paimon.version>\(.*\)</paimon.version>.*:\1:p' "$dir/java/pom.xml"))"
  mvn -q -B -Dstyle.color=never -f "$dir/java/pom.xml" -Dmaven.test.skip=true package
fi

# --- Python ----------------------------------------------------------------------------------
venv=$dir/.venv
req=$dir/python/requirements.txt
stamp=$venv/.requirements.installed
if [[ -x $venv/bin/python && -f $stamp ]] && cmp -s "$req" "$stamp"; then
  echo "interop-setup: pypaimon virtualenv up to date"
else
  echo "interop-setup: installing pypaimon into $venv"
  [[ -x $venv/bin/python ]] || python3 -m venv "$venv"
  "$venv/bin/pip" install --disable-pip-version-check --no-input -q --prefer-binary -r "$req"
  cp "$req" "$stamp"
fi

java -version 2>&1 | head -1 | sed 's/^/interop-setup: /'
"$venv/bin/python" -c 'import pypaimon, pyarrow; print("interop-setup: pypaimon", __import__("importlib.metadata").metadata.version("pypaimon"), "pyarrow", pyarrow.__version__)'
