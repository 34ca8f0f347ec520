import { mkdir, mkdtemp, realpath, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { JobSpec } from '@ddinit/contracts';
import { type SpecPolicy, specErrors, uriProblem } from './spec-policy.js';

const policy: SpecPolicy = { allowedBuckets: ['models'], fileRoot: '/data/ddinit', webhooks: false };

describe('uriProblem', () => {
  it.each([
    ['s3://models/a/model.json', undefined],
    ['s3://other/a', 'bucket "other" is not allowed on this server'],
    ['file:///data/ddinit/x/model.json', undefined],
    ['file:///data/ddinit', undefined],
    ['file:///data/ddinit-evil/x', 'must be under the file root this server allows'],
    ['file:///data/ddinit/../secret', 'must be under the file root this server allows'],
    ['file:///data/ddinit/%2e%2e/secret', 'must be under the file root this server allows'],
    ['file:///data/ddinit/a%2Fb', 'not a valid file:// URI'],
    ['file:///etc/passwd', 'must be under the file root this server allows'],
    ['file://otherhost/data/ddinit/x', 'not a valid file:// URI'],
  ])('%s', (uri, expected) => {
    expect(uriProblem(uri, policy)).toBe(expected);
  });

  it('refuses file:// without a root and allows any bucket with *', () => {
    expect(uriProblem('file:///data/x', { allowedBuckets: '*', webhooks: true })).toBe(
      'file:// URIs are not accepted by this server',
    );
    expect(uriProblem('s3://anything/x', { allowedBuckets: '*', webhooks: true })).toBeUndefined();
  });

  it("limits a listed tenant to its own buckets and leaves the others on the server's list", () => {
    const perTenant: SpecPolicy = {
      allowedBuckets: ['shared', 'acme-data'],
      tenantBuckets: { acme: ['acme-data'] },
      webhooks: false,
    };
    expect(uriProblem('s3://acme-data/m', perTenant, 'acme')).toBeUndefined();
    expect(uriProblem('s3://shared/m', perTenant, 'acme')).toBe(
      'bucket "shared" is not allowed on this server',
    );
    expect(uriProblem('s3://shared/m', perTenant, 'globex')).toBeUndefined();
    // A tenant named like an Object.prototype member is an ordinary name.
    expect(uriProblem('s3://shared/m', perTenant, '__proto__')).toBeUndefined();
    expect(uriProblem('s3://shared/m', perTenant, 'constructor')).toBeUndefined();
  });
});

describe('specErrors', () => {
  it('lists every refused URI and an unusable callback under the given path', async () => {
    const spec = JobSpec.parse({
      model: { uri: 's3://models/m/model.json' },
      dataset: { uri: 's3://x-data/images/' },
      output: { uri: 'file:///tmp/out/' },
      callback: { url: 'https://example.com/hook' },
    });
    const errors = await specErrors(spec, policy, 'acme', 'body.jobs.2');
    expect(errors.map((error) => error.path)).toEqual([
      'body.jobs.2.dataset.uri',
      'body.jobs.2.output.uri',
      'body.jobs.2.callback.url',
    ]);
  });

  describe('file:// under a real root', () => {
    let base: string;
    let root: string;

    beforeAll(async () => {
      base = await realpath(await mkdtemp(join(tmpdir(), 'ddinit-policy-')));
      root = join(base, 'root');
      await mkdir(join(root, 'models'), { recursive: true });
      await mkdir(join(base, 'outside'));
      await writeFile(join(base, 'outside', 'secret.json'), '{}');
      await writeFile(join(root, 'models', 'model.json'), '{}');
      await symlink(join(base, 'outside'), join(root, 'escape'));
      await symlink(join(base, 'outside', 'secret.json'), join(root, 'models', 'link.json'));
      await symlink(join(root, 'models'), join(root, 'inner'));
    });
    afterAll(() => rm(base, { recursive: true, force: true }));

    function specWith(model: string, output = `${pathToFileURL(join(root, 'out')).href}/`) {
      return JobSpec.parse({
        model: { uri: model },
        dataset: { uri: pathToFileURL(join(root, 'models')).href },
        output: { uri: output },
      });
    }

    it('accepts files inside and symlinks that stay inside, including outputs not yet created', async () => {
      const local: SpecPolicy = { allowedBuckets: [], fileRoot: root, webhooks: false };
      const inside = pathToFileURL(join(root, 'inner', 'model.json')).href;
      expect(await specErrors(specWith(inside), local, 't', 'body')).toEqual([]);
    });

    it.each([
      ['a symlinked folder that leads out', 'escape/secret.json'],
      ['a symlinked file that leads out', 'models/link.json'],
    ])('refuses %s of the root', async (_what, relative) => {
      const local: SpecPolicy = { allowedBuckets: [], fileRoot: root, webhooks: false };
      const uri = pathToFileURL(join(root, relative)).href;
      expect(await specErrors(specWith(uri), local, 't', 'body')).toEqual([
        { path: 'body.model.uri', message: 'leads out of the file root this server allows (symlink)' },
      ]);
    });

    it('refuses an output folder under a symlink that leads out, though it does not exist yet', async () => {
      const local: SpecPolicy = { allowedBuckets: [], fileRoot: root, webhooks: false };
      const model = pathToFileURL(join(root, 'models', 'model.json')).href;
      const output = `${pathToFileURL(join(root, 'escape', 'new', 'run'))}/`;
      expect(await specErrors(specWith(model, output), local, 't', 'body')).toEqual([
        { path: 'body.output.uri', message: 'leads out of the file root this server allows (symlink)' },
      ]);
    });

    it('refuses `..` and absolute escapes before looking at the disk', async () => {
      const local: SpecPolicy = { allowedBuckets: [], fileRoot: root, webhooks: false };
      const dotdot = `file://${root}/models/../../outside/secret.json`;
      const absolute = pathToFileURL(join(base, 'outside', 'secret.json')).href;
      for (const uri of [dotdot, absolute]) {
        expect(await specErrors(specWith(uri), local, 't', 'body')).toEqual([
          { path: 'body.model.uri', message: 'must be under the file root this server allows' },
        ]);
      }
    });
  });
});
