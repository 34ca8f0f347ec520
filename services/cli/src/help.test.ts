/** `--help` and `--version` of the built CLI. */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { REPO, runCli } from './testing/cli.js';

const INIT_OPTIONS = [
  '--model',
  '--data',
  '--out',
  '--random',
  '--method',
  '--beta',
  '--alpha',
  '--iterations',
  '--between',
  '--tolerance',
  '--sample',
  '--held-out',
  '--batch-size',
  '--seed',
  '--layers',
  '--exclude-layers',
  '--only-zero-kernels',
  '--exclude-outputs',
  '--normalize-kept',
  '--scale',
  '--mean',
  '--std',
  '--channel-order',
  '--resize',
  '--max-pixels',
  '--backend',
  '--overwrite',
  '--json',
  '--quiet',
];

describe('ddinit help', () => {
  test('init --help documents every option with its default', async () => {
    const { code, stdout, stderr } = await runCli(['init', '--help']);
    expect(code).toBe(0);
    expect(stderr).toBe('');
    for (const option of INIT_OPTIONS) expect(stdout).toMatch(new RegExp(`^ +${option}\\b`, 'm'));
    const flat = stdout.replace(/\s+/g, ' ');
    for (const text of [
      'default: "gaussian"',
      'default: "paper"',
      'default: 0.25',
      'default: 2 for closed-form, 10 for iterative',
      'default: "closed-form"',
      'default: 0.05',
      'default: 256',
      'default: 64',
      'default: "unit"',
      'default: "rgb"',
      'default: "stretch"',
      'default: 50000000',
      'choices: "gaussian", "orthogonal", "pca", "kmeans", "keep"',
    ])
      expect(flat).toContain(text);
  });

  test('--help lists the init command; --version prints the package version', async () => {
    const help = await runCli(['--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/^ +init \[options\]/m);
    const version = await runCli(['--version']);
    const pkg = JSON.parse(await readFile(path.join(REPO, 'services/cli/package.json'), 'utf8')) as {
      version: string;
    };
    expect(version.code).toBe(0);
    expect(version.stdout).toBe(`${pkg.version}\n`);
  });
});
