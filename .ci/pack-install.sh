#!/usr/bin/env bash
# The packages as a user gets them: `npm pack` @eddy/table, @eddy/s3, @eddy/sql, @eddy/ui, @eddy/cli and @eddy/compactor,
# install the tarballs into fresh folders outside the repository (dependencies from the registry),
# and there: the README's quick start with plain node, a TypeScript consumer typechecked against the
# published .d.ts files, `npx eddy demo`, `npx eddy ui` answering with its pages and uPlot, the
# bins' --help/--version, @eddy/s3 loaded for s3://,
# and @eddy/table alone (no AWS SDK) refusing s3:// with a clear message. Prints install sizes.
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$PWD
work=$(mktemp -d "${TMPDIR:-/tmp}/eddy-pack-XXXXXX")
trap 'rm -rf "$work"' EXIT
export npm_config_audit=false npm_config_fund=false npm_config_update_notifier=false

echo "-- build and pack"
npm run build --silent
mkdir -p "$work/tgz"
for p in packages/table packages/s3 packages/sql packages/ui tools/cli services/compactor; do
  npm pack --silent --pack-destination "$work/tgz" -w "$p" >/dev/null
done
ls -l "$work/tgz" | awk 'NR>1 {print "   " $5 " bytes  " $9}'
tgz() { ls "$work"/tgz/eddy-"$1"-*.tgz; }
# Nothing from the repository's tests, configs or sources maps leaks in; the worker ships.
for t in "$work"/tgz/*.tgz; do tar -tzf "$t"; done >"$work/files"
grep -q 'package/dist/format/parquet-worker.cjs' "$work/files"
grep -q 'package/dist/engine/boot.mjs' "$work/files"
grep -q 'package/static/index.html' "$work/files"
grep -q 'package/static/pages/lsm.js' "$work/files"
if grep -E '\.test\.|tsbuildinfo|vitest' "$work/files"; then
  echo "test or build files in a tarball" >&2; exit 1
fi

echo "-- @eddy/table alone: no AWS SDK; s3:// asks for @eddy/s3"
mkdir "$work/core" && cd "$work/core"
npm init -y >/dev/null
npm install --silent "$(tgz table)"
test ! -e node_modules/@aws-sdk
node --input-type=module -e "
import { Catalog } from '@eddy/table';
try { await Catalog.open('s3://bucket/wh'); process.exit(1); }
catch (e) { if (e.code !== 'UNSUPPORTED' || !/npm install @eddy\/s3/.test(e.message)) throw e; console.log('   ' + e.message); }
"
echo "   install size: $(du -sk node_modules | cut -f1) KiB (@eddy/table and its dependencies)"

echo "-- all six packages"
mkdir "$work/app" && cd "$work/app"
npm init -y >/dev/null
npm pkg set type=module
npm install --silent "$(tgz table)" "$(tgz s3)" "$(tgz sql)" "$(tgz ui)" "$(tgz cli)" "$(tgz compactor)"
echo "   install size: $(du -sk node_modules | cut -f1) KiB (all six and their dependencies)"

echo "-- README quick start, plain node"
node -e "
const s = require('fs').readFileSync('$repo/README.md', 'utf8');
const code = /\`\`\`ts\n([\s\S]*?)\`\`\`/.exec(s.slice(s.indexOf('## Quick start')))[1];
require('fs').writeFileSync('quickstart.mjs', code);
"
out=$(node quickstart.mjs)
grep -q "amount: '4.20'" <<<"$out"
grep -q "customer: 'ada'" <<<"$out"
echo "   ok"

echo "-- TypeScript consumer against the published types"
npm install --silent typescript@5.9 @types/node@20
cp "$repo/test/package/consumer.ts" .
cat > tsconfig.json <<'JSON'
{ "compilerOptions": { "target": "ES2022", "lib": ["ES2023", "ESNext.Disposable"], "module": "NodeNext",
  "moduleResolution": "NodeNext", "strict": true, "noEmit": true, "skipLibCheck": false, "types": ["node"] },
  "files": ["consumer.ts"] }
JSON
npx tsc -p tsconfig.json
echo "   ok"

echo "-- s3:// loads @eddy/s3 from the install"
AWS_REGION=us-east-1 AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED=true node --input-type=module -e "
import { fileIOForWarehouse } from '@eddy/table';
import { S3FileIO } from '@eddy/s3';
const io = await fileIOForWarehouse('s3://bucket/wh');
if (!(io instanceof S3FileIO)) throw new Error('not the S3FileIO of @eddy/s3');
io.destroy();
console.log('   ok');
"

echo "-- bins"
npx eddy --version
npx eddy --help | head -3
npx eddy scan --help >/dev/null
npx eddy completion bash | bash -n
npx eddy-compactor --help | head -2

echo "-- npx eddy demo"
npx eddy demo ./eddy-demo --seconds 1 | tail -4
npx eddy --warehouse eddy-demo verify shop.orders | tail -1
npx eddy --warehouse eddy-demo sql "SELECT count(*) AS orders FROM shop.orders" --json
if npx eddy demo ./eddy-demo --seconds 1 </dev/null >/dev/null 2>"$work/err"; then
  echo "demo replaced an existing table without --force" >&2; exit 1
fi
grep -q 'already has a table shop.orders' "$work/err"

echo "-- eddy ui (pages, uPlot from the install, JSON, read-only SQL)"
# The installed bin itself (not through npx), so $! is the server and the trap can stop it.
./node_modules/.bin/eddy --warehouse eddy-demo ui --port 0 >"$work/ui.out" 2>&1 &
ui_pid=$!
trap 'kill "$ui_pid" 2>/dev/null || true; rm -rf "$work"' EXIT
for _ in $(seq 1 150); do grep -q 'http://127.0.0.1:' "$work/ui.out" && break; sleep 0.2; done
url=$(grep -o 'http://127.0.0.1:[0-9]*/' "$work/ui.out")
grep -q '<title>eddy ui</title>' <<<"$(curl -fsS "$url")"
grep -q 'uPlot' <<<"$(curl -fsS "${url}vendor/uPlot.esm.js")"
grep -q '"name":"shop.orders"' <<<"$(curl -fsS "${url}api/warehouse")"
status=$(curl -s -o /dev/null -w '%{http_code}' -H 'content-type: application/json' -d '{"sql":"DELETE FROM shop.orders"}' "${url}api/sql")
[[ $status == 403 ]] || { echo "eddy ui let a write through read-only mode ($status)" >&2; exit 1; }
kill "$ui_pid"
wait "$ui_pid" || true
echo "   ok: $url"
echo "pack-install: ok"
