import { ensureDashboardBuild } from '../src/api/dashboard/build.ts';

/**
 * `npm run build:web`: builds the dashboard (web/) when missing or stale and prints its assets
 * with their raw and gzip sizes. The Docker api image runs it in a build stage; `npm start`
 * builds on its own when needed.
 */
const started = performance.now();
const build = await ensureDashboardBuild();
const ms = Math.round(performance.now() - started);
process.stdout.write(`${build.built ? 'built' : 'up to date'}: ${build.dir} (${ms} ms)\n`);
for (const asset of build.manifest.assets) {
  if (asset.name.endsWith('.map')) continue;
  process.stdout.write(
    `  ${asset.name}  ${(asset.bytes / 1024).toFixed(1)} KiB, gzip ${(asset.gzipBytes / 1024).toFixed(1)} KiB\n`,
  );
}
