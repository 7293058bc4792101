// Checks for .ci/pack-check (plain Node, no dependencies; reads tarballs with the system `tar`).
//
//   node inspect.mjs tarballs <dir>                 every tarball in <dir> is a sound published package
//   node inspect.mjs closure <dir> <name>           the tarballs of <name> and its @panda/* dependencies
//   node inspect.mjs installed <project> <dir> <name>  the project's node_modules/@panda/* are exactly
//                                                    that closure, installed from those tarballs
//
// A problem is printed and the process exits 1.
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';

const problems = [];
const fail = (msg) => problems.push(msg);

/** The package.json and file list (with sizes) of a tarball, without unpacking it to disk. */
function readTarball(file) {
  const manifest = JSON.parse(execFileSync('tar', ['-xzOf', file, 'package/package.json'], { encoding: 'utf8' }));
  const listing = execFileSync('tar', ['-tvzf', file], { encoding: 'utf8', maxBuffer: 64 << 20 });
  const files = new Map();
  for (const line of listing.split('\n').filter(Boolean)) {
    // -rw-r--r-- 0/0  1234 1985-10-26 08:15 package/dist/index.js
    const m = /^\S+\s+\S+\s+(\d+)\s+\S+\s+\S+\s+package\/(.+)$/.exec(line);
    if (m) files.set(m[2], Number(m[1]));
  }
  return { manifest, files };
}

function tarballsIn(dir) {
  return readdirSync(dir)
    .filter((f) => f.endsWith('.tgz'))
    .map((f) => ({ file: join(dir, f), ...readTarball(join(dir, f)) }));
}

/** Every file path an exports map names (all conditions, all subpaths). */
function exportTargets(exports, path = '.') {
  if (typeof exports === 'string') return [{ path, condition: '', target: exports }];
  return Object.entries(exports ?? {}).flatMap(([key, value]) => {
    const here = key.startsWith('.') ? key : path;
    if (typeof value === 'string') return [{ path: here, condition: key.startsWith('.') ? '' : key, target: value }];
    return exportTargets(value, here);
  });
}

const kib = (n) => `${(n / 1024).toFixed(1)} KiB`;

function checkTarballs(dir) {
  const all = tarballsIn(dir);
  if (!all.length) fail(`no tarballs in ${dir}`);
  const rows = [];
  for (const { file, manifest: m, files } of all) {
    const name = m.name ?? file;
    const deps = JSON.stringify([m.dependencies, m.optionalDependencies, m.peerDependencies, m.devDependencies]);
    if (deps.includes('workspace:')) fail(`${name}: a workspace: protocol is left in its dependencies`);
    if (JSON.stringify([m.exports, m.imports]).includes('@panda/source')) fail(`${name}: its exports still name the @panda/source condition`);
    if (m.publishConfig?.exports) fail(`${name}: publishConfig.exports was not applied`);
    for (const field of ['license', 'engines', 'repository', 'sideEffects', 'exports', 'files']) if (m[field] === undefined) fail(`${name}: no "${field}"`);
    if (m.type !== 'module') fail(`${name}: not "type": "module"`);
    for (const required of ['README.md', 'LICENSE', 'package.json']) if (!files.has(required)) fail(`${name}: ${required} is not in the tarball`);
    for (const f of files.keys()) if (f.startsWith('src/') || f.endsWith('.test.js') || f.endsWith('.test.d.ts')) fail(`${name}: ships ${f}`);
    for (const { path, condition, target } of exportTargets(m.exports)) {
      if (!files.has(target.replace(/^\.\//, ''))) fail(`${name}: exports["${path}"]${condition ? `.${condition}` : ''} names ${target}, which is not in the tarball`);
    }
    for (const [sub, entry] of Object.entries(m.exports ?? {})) {
      if (typeof entry !== 'object' || sub === './package.json') continue;
      for (const c of ['types', 'import', 'default']) if (!entry[c]) fail(`${name}: exports["${sub}"] has no "${c}"`);
    }
    for (const [bin, target] of Object.entries(typeof m.bin === 'string' ? { [m.name]: m.bin } : (m.bin ?? {}))) {
      if (!files.has(target.replace(/^\.\//, ''))) fail(`${name}: bin ${bin} names ${target}, which is not in the tarball`);
    }
    const unpacked = [...files.values()].reduce((a, b) => a + b, 0);
    rows.push({ name, version: m.version, files: files.size, packed: statSync(file).size, unpacked });
  }
  rows.sort((a, b) => a.name.localeCompare(b.name));
  console.log('| package | version | files | tarball | unpacked |');
  console.log('| --- | --- | ---: | ---: | ---: |');
  for (const r of rows) console.log(`| ${r.name} | ${r.version} | ${r.files} | ${kib(r.packed)} | ${kib(r.unpacked)} |`);
}

/** The tarballs of `root` and of every @panda/* package it depends on (dependencies, optional ones too). */
function closure(dir, root) {
  const byName = new Map(tarballsIn(dir).map((t) => [t.manifest.name, t]));
  const seen = new Map();
  const visit = (name, from) => {
    if (seen.has(name)) return;
    const t = byName.get(name);
    if (!t) return fail(`${name} (needed by ${from}) has no tarball in ${dir}`);
    seen.set(name, t);
    for (const dep of Object.keys({ ...t.manifest.dependencies, ...t.manifest.optionalDependencies, ...t.manifest.peerDependencies })) {
      if (dep.startsWith('@panda/')) visit(dep, name);
    }
  };
  visit(root, 'the consumer');
  return [...seen.values()];
}

function checkInstalled(project, dir, root) {
  const wanted = closure(dir, root);
  const lock = JSON.parse(readFileSync(join(project, 'package-lock.json'), 'utf8'));
  const installed = Object.entries(lock.packages ?? {}).filter(([path]) => /(^|\/)node_modules\/@panda\//.test(path));
  const names = installed.map(([path]) => path.replace(/^.*node_modules\//, ''));
  for (const t of wanted) {
    const entry = lock.packages[`node_modules/${t.manifest.name}`];
    if (!entry) fail(`${t.manifest.name} is not installed at the top of node_modules`);
    else if (!String(entry.resolved ?? '').endsWith('.tgz') || !String(entry.resolved).startsWith('file:')) fail(`${t.manifest.name} was resolved from ${entry.resolved}, not from its tarball`);
    if (!existsSync(join(project, 'node_modules', t.manifest.name, 'package.json'))) fail(`node_modules/${t.manifest.name} is missing`);
  }
  const extra = names.filter((n) => !wanted.some((t) => t.manifest.name === n));
  if (extra.length || names.length !== wanted.length) fail(`installed @panda/* packages: ${names.join(', ')}; expected exactly ${wanted.map((t) => t.manifest.name).join(', ')} (each once)`);
  console.log(`installed from tarballs: ${names.sort().join(', ')}`);
}

const [command, ...args] = process.argv.slice(2);
if (command === 'tarballs') checkTarballs(args[0]);
else if (command === 'closure') {
  const found = closure(args[0], args[1]);
  if (!problems.length) console.log(found.map((t) => t.file).join('\n'));
} else if (command === 'installed') checkInstalled(args[0], args[1], args[2]);
else fail(`unknown command ${command}: tarballs | closure | installed`);

if (problems.length) {
  for (const p of problems) console.error(`pack-check: ${p}`);
  process.exit(1);
}
