import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parse } from 'yaml';
import { isPlain, toYaml } from './yaml.js';

/** Reads `text` back as YAML 1.2 and, to catch 1.1 readers' surprises (kubectl's go-yaml), as 1.1. */
function roundTrip(value: unknown): void {
  const text = toYaml(value);
  assert.deepEqual(parse(text), value, `YAML 1.2 reads back:\n${text}`);
  assert.deepEqual(parse(text, { version: '1.1' }), value, `YAML 1.1 reads back:\n${text}`);
}

describe('toYaml', () => {
  it('prints an object as kubectl does: nested maps indented, sequences at their key', () => {
    const pod = {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'web-1', namespace: 'default', labels: { app: 'web', 'app.kubernetes.io/name': 'web' }, creationTimestamp: '2024-05-01T10:00:00Z' },
      spec: {
        containers: [{ name: 'nginx', image: 'nginx:1.27', ports: [{ containerPort: 80 }], args: ['--port', '80'] }],
        nodeName: 'kubeling-node-1',
      },
      status: { phase: 'Running', podIP: '10.244.1.5', conditions: [], hostIP: null, ready: true },
    };
    assert.equal(
      toYaml(pod),
      [
        'apiVersion: v1',
        'kind: Pod',
        'metadata:',
        '  name: web-1',
        '  namespace: default',
        '  labels:',
        '    app: web',
        '    app.kubernetes.io/name: web',
        '  creationTimestamp: "2024-05-01T10:00:00Z"',
        'spec:',
        '  containers:',
        '  - name: nginx',
        '    image: nginx:1.27',
        '    ports:',
        '    - containerPort: 80',
        '    args:',
        '    - --port',
        '    - "80"',
        '  nodeName: kubeling-node-1',
        'status:',
        '  phase: Running',
        '  podIP: 10.244.1.5',
        '  conditions: []',
        '  hostIP: null',
        '  ready: true',
        '',
      ].join('\n'),
    );
    roundTrip(pod);
  });

  it('prints scalars and empty collections at the top level', () => {
    assert.equal(toYaml(null), 'null\n');
    assert.equal(toYaml(3.5), '3.5\n');
    assert.equal(toYaml('hello'), 'hello\n');
    assert.equal(toYaml({}), '{}\n');
    assert.equal(toYaml([]), '[]\n');
    assert.equal(toYaml(true), 'true\n');
  });

  it('quotes strings a reader would take for something else', () => {
    for (const s of ['', 'true', 'No', 'on', 'null', '~', '123', '-1', '1.5', '.5', '1e3', '0x1F', '0o17', '012', '12:30', '.inf', '2024-01-01', ' lead', 'trail ', 'a: b', 'a #b', 'end:', '- x', '-', '? x', ':', '[x]', '{x}', '*ref', '&a', '!tag', '|', '>', "'q'", '"q"', '%x', '@x', '`x', '#x', 'tab\there', 'bell\u0007']) {
      assert.equal(isPlain(s), false, JSON.stringify(s));
    }
    for (const s of ['web', 'nginx:1.27', '10.244.1.5', 'a-b_c.d/e', 'kubeling-node-1', 'x:y', 'a#b', '/registry/pods/default/web', 'Running', 'v1', 'phase Running', '100m', '128Mi', 'ünïcode', '--port', '-x', ':x', '?x']) {
      assert.equal(isPlain(s), true, JSON.stringify(s));
    }
  });

  it('prints multi-line strings as literal blocks with the right chomping', () => {
    assert.equal(toYaml({ script: 'echo a\necho b' }), 'script: |-\n  echo a\n  echo b\n');
    assert.equal(toYaml({ script: 'echo a\n' }), 'script: |\n  echo a\n');
    assert.equal(toYaml(['one\ntwo']), '- |-\n  one\n  two\n');
    for (const s of ['a\nb', 'a\n', 'a\n\n', 'a\n\nb\n', 'a\n  indented\nb', '\nstarts empty', '  starts with spaces\nx', 'tab\tin\nlines', 'cr\r\nlf']) {
      roundTrip({ s });
      roundTrip([s, { s }]);
      roundTrip(s);
    }
  });

  it('quotes keys that need it', () => {
    assert.equal(toYaml({ on: 1, '': 2, 'a: b': 3 }), '"on": 1\n"": 2\n"a: b": 3\n');
    roundTrip({ on: 1, yes: 'no', '1': [1, 2], 'x y': { '#': null } });
  });

  it('nests sequences in sequences and maps in sequences', () => {
    const v = { m: [[1, 2], [], [{ a: 1, b: [{ c: 'd' }] }], { e: {} }] };
    assert.equal(toYaml(v), ['m:', '- - 1', '  - 2', '- []', '- - a: 1', '    b:', '    - c: d', '- e: {}', ''].join('\n'));
    roundTrip(v);
  });

  it('leaves out undefined fields as JSON does', () => {
    assert.equal(toYaml({ a: 1, b: undefined }), 'a: 1\n');
    assert.equal(toYaml({ b: undefined }), '{}\n');
  });

  it('reads back what it prints (random values)', () => {
    let seed = 7;
    const rand = (n: number): number => {
      seed = (seed * 1103515245 + 12345) % 2147483648;
      return seed % n;
    };
    const words = ['a', 'true', '1', '1.0', '', ' ', 'x: y', '#', '-', 'multi\nline', 'end\n', 'ü', '"', "'", '\\', 'null', '0x10', '2024-01-02T03:04:05Z', '10.0.0.1', '[', '{}', '*', 'a\tb'];
    const gen = (depth: number): unknown => {
      const r = rand(depth > 3 ? 4 : 7);
      switch (r) {
        case 0:
          return words[rand(words.length)];
        case 1:
          return rand(2000) - 1000;
        case 2:
          return [null, true, false, 0.25, -1e-7][rand(5)];
        case 3:
          return `${words[rand(words.length)]}${words[rand(words.length)]}`;
        case 4:
          return Array.from({ length: rand(4) }, () => gen(depth + 1));
        default:
          return Object.fromEntries(Array.from({ length: rand(4) }, () => [words[rand(words.length)]!, gen(depth + 1)]));
      }
    };
    for (let i = 0; i < 300; i++) roundTrip(gen(0));
  });
});
