#!/usr/bin/env bash
# Builds what `npm run test:interop` needs (see test/interop/README.md):
#  - the Apache Paimon Java driver: `mvn package` in test/interop/java (jars cached in ~/.m2),
#    giving target/eddy-interop.jar and target/classpath.txt;
#  - virtualenvs test/interop/.venv (pypaimon 2.1 and pypaimon-rust, the binding of paimon-rust) and
#    test/interop/.venv-pypaimon-1.4 (pypaimon 1.4.2), each with its pinned dependencies.
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
# One virtualenv per requirements file: .venv (pypaimon 2.1 + pypaimon-rust) and .venv-pypaimon-1.4.
venv_for() {
  local venv=$1 req=$2 stamp=$1/.requirements.installed
  if [[ -x $venv/bin/python && -f $stamp ]] && cmp -s "$req" "$stamp"; then
    echo "interop-setup: $venv up to date"
  else
    echo "interop-setup: installing $req into $venv"
    [[ -x $venv/bin/python ]] || python3 -m venv "$venv"
    "$venv/bin/pip" install --disable-pip-version-check --no-input -q --prefer-binary -r "$req"
    cp "$req" "$stamp"
  fi
}
venv_for "$dir/.venv" "$dir/python/requirements.txt"
venv_for "$dir/.venv-pypaimon-1.4" "$dir/python/requirements-pypaimon-1.4.txt"

java -version 2>&1 | head -1 | sed 's/^/interop-setup: /'
versions='from importlib.metadata import version as v, distributions as d
print("interop-setup:", ", ".join(n + " " + v(n) for n in ("pypaimon", "pypaimon-rust", "pyarrow") if n in {x.metadata["Name"] for x in d()}))'
"$dir/.venv/bin/python" -c "$versions"
"$dir/.venv-pypaimon-1.4/bin/python" -c "$versions"
