import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { KubeObject } from '../../api/meta.js';
import { endpointSlicePrinter } from './discovery.js';

const NOW = new Date('2025-03-01T12:00:00Z');
const CREATED = '2025-03-01T11:59:10Z';

describe('endpointslice rows', () => {
  it('has the columns of kubectl get endpointslices', () => {
    assert.deepEqual(
      endpointSlicePrinter.columns.map((c) => [c.name, c.priority]),
      [
        ['Name', 0],
        ['AddressType', 0],
        ['Ports', 0],
        ['Endpoints', 0],
        ['Age', 0],
      ],
    );
  });

  const eps = (...lists: string[][]) => lists.map((addresses) => ({ addresses, conditions: {} }));
  const cases: [string, Record<string, unknown>, string, string][] = [
    ['a placeholder: nothing set', { endpoints: null, ports: null }, '<unset>', '<unset>'],
    ['one port, two endpoints', { ports: [{ name: 'http', port: 80, protocol: 'TCP' }], endpoints: eps(['10.244.0.5'], ['10.244.1.3']) }, '80', '10.244.0.5,10.244.1.3'],
    [
      'four endpoints: three and 1 more (ready or not, all count)',
      { ports: [{ name: '', port: 8080, protocol: 'TCP' }], endpoints: [...eps(['10.244.0.5'], ['10.244.1.3'], ['10.244.2.7']), { addresses: ['10.244.3.9'], conditions: { ready: false } }] },
      '8080',
      '10.244.0.5,10.244.1.3,10.244.2.7 + 1 more...',
    ],
    ['every address of an endpoint counts', { ports: [], endpoints: eps(['10.0.0.1', '10.0.0.2'], ['10.0.0.3', '10.0.0.4', '10.0.0.5']) }, '<unset>', '10.0.0.1,10.0.0.2,10.0.0.3 + 2 more...'],
    [
      'five ports: three and 2 more; a port without a number shows its name, one without either *',
      { ports: [{ name: 'dns', protocol: 'UDP' }, { protocol: 'TCP' }, { name: 'a', port: 53 }, { name: 'b', port: 54 }, { name: 'c', port: 55 }], endpoints: eps(['fd00::5']) },
      'dns,*,53 + 2 more...',
      'fd00::5',
    ],
    ['FQDN addresses as they are', { addressType: 'FQDN', ports: [{ name: 'https', port: 443 }], endpoints: eps(['api.example.com']) }, '443', 'api.example.com'],
  ];
  for (const [title, body, ports, endpoints] of cases) {
    it(title, () => {
      const obj = { metadata: { name: 'web-7x2kq', creationTimestamp: CREATED }, addressType: 'IPv4', ...body } as KubeObject;
      assert.deepEqual(endpointSlicePrinter.cells(obj, NOW), ['web-7x2kq', body.addressType ?? 'IPv4', ports, endpoints, '50s']);
    });
  }
});
