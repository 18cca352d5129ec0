import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { CONFIG_ENV_VARS } from '../../shared/config/index.js';

describe('README', () => {
  const readme = readFileSync('README.md', 'utf8');
  const pkg = JSON.parse(readFileSync('package.json', 'utf8')) as { scripts: Record<string, string> };

  it('documents every environment variable the config reads', () => {
    const missing = CONFIG_ENV_VARS.filter((name) => !readme.includes(`| \`${name}\` |`));
    expect(missing).toEqual([]);
  });

  it('shows the quick start, and every npm script it names exists', () => {
    expect(readme).toContain('npm ci && npm start');
    expect(readme).toContain('npm test');
    const named = [...readme.matchAll(/npm run (?:--silent )?([a-z:-]+)/g)].map((m) => m[1] as string);
    expect(named.length).toBeGreaterThan(0);
    expect(named.filter((s) => !(s in pkg.scripts))).toEqual([]);
  });
});
