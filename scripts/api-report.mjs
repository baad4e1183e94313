#!/usr/bin/env node
// API reports (`npm run api`; CI runs it after the build): API Extractor reads each published entry
// point's built .d.ts and writes the whole public surface it reaches to etc/<name>.api.md. A report
// that differs from the checked-in one fails the check, so every change to the surface is a visible
// diff; `npm run api -- --update` rewrites the reports after an intended change. The inspect report
// lists the main entry point's types it uses (Table, Snapshot, ...) as 'forgotten exports': they
// are exported there.
import { mkdirSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import apiExtractor from '@microsoft/api-extractor';

const { Extractor, ExtractorConfig } = apiExtractor;

const root = resolve(import.meta.dirname, '..');
const update = process.argv.includes('--update');
const ENTRY_POINTS = [
  { name: 'table', pkg: 'packages/table', entry: 'dist/index.d.ts' },
  { name: 'table-inspect', pkg: 'packages/table', entry: 'dist/inspect.d.ts' },
  { name: 's3', pkg: 'packages/s3', entry: 'dist/index.d.ts' },
  { name: 'sql', pkg: 'packages/sql', entry: 'dist/index.d.ts' },
  { name: 'ui', pkg: 'packages/ui', entry: 'dist/index.d.ts' },
];
const temp = join(root, 'node_modules/.cache/api-report');
let failed = false;
for (const e of ENTRY_POINTS) {
  const pkgDir = join(root, e.pkg);
  mkdirSync(temp, { recursive: true });
  const config = ExtractorConfig.prepare({
    configObject: {
      projectFolder: pkgDir,
      newlineKind: 'lf',
      mainEntryPointFilePath: join(pkgDir, e.entry),
      compiler: { tsconfigFilePath: join(pkgDir, 'tsconfig.build.json') },
      apiReport: {
        enabled: true,
        reportFileName: `${e.name}.api.md`,
        reportFolder: join(root, 'etc'),
        reportTempFolder: temp,
      },
      docModel: { enabled: false },
      dtsRollup: { enabled: false },
      tsdocMetadata: { enabled: false },
      messages: {
        extractorMessageReporting: {
          default: { logLevel: 'warning', addToApiReportFile: true },
          'ae-missing-release-tag': { logLevel: 'none', addToApiReportFile: false },
          'ae-undocumented': { logLevel: 'none', addToApiReportFile: false },
        },
        tsdocMessageReporting: { default: { logLevel: 'none', addToApiReportFile: false } },
      },
    },
    configObjectFullPath: undefined,
    packageJsonFullPath: join(pkgDir, 'package.json'),
  });
  const result = Extractor.invoke(config, { localBuild: update, showVerboseMessages: false });
  if (result.apiReportChanged && !update) {
    console.error(
      `etc/${e.name}.api.md: the public API of ${e.pkg}/${e.entry} changed. Review the difference (the new report is in ${temp}), then run \`npm run api -- --update\` and commit etc/.`,
    );
    failed = true;
  } else if (!result.succeeded && !result.apiReportChanged) {
    console.error(`API Extractor failed for ${e.pkg}/${e.entry}: ${result.errorCount} errors`);
    failed = true;
  }
}
if (failed) process.exit(1);
rmSync(temp, { recursive: true, force: true });
console.log(
  `API reports ${update ? 'written' : 'match'}: ${ENTRY_POINTS.map((e) => `etc/${e.name}.api.md`).join(', ')}`,
);
