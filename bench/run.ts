/**
 * `npm run bench -- <name> [--json]`: runs one benchmark and prints its figures (one JSON object with --json).
 * Benchmarks measure; they assert nothing. Each lives in its own file and exports `run(args)`.
 */
const benches: Record<string, () => Promise<{ run(args: string[]): Promise<Record<string, unknown>> }>> = {
  startup: () => import('./startup.js'),
  gateway: () => import('./gateway.js'),
  rag: () => import('./rag.js'),
  'object-spread': () => import('./object-spread.js'),
  profile: () => import('./cpu-profile-parts.js'),
};

const [name, ...args] = process.argv.slice(2);
const load = name ? benches[name] : undefined;
if (!load) {
  process.stderr.write(`usage: npm run bench -- <${Object.keys(benches).join('|')}> [--json]\n`);
  process.exit(2);
}
const figures = await (await load()).run(args);
if (args.includes('--json')) process.stdout.write(`${JSON.stringify(figures)}\n`);
