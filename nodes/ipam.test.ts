/** Pod CIDRs for nodes and pod IPs within one: who gets which address. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { MAX_POD_CIDRS, PodCIDRs, PodIPs, podCIDR } from './ipam.js';

describe('pod CIDRs', () => {
  it('counts /24s from 10.244.0.0 into the next octets, up to 10.255.255.0/24', () => {
    assert.deepEqual([podCIDR(0), podCIDR(1), podCIDR(255), podCIDR(256), podCIDR(MAX_POD_CIDRS - 1)], ['10.244.0.0/24', '10.244.1.0/24', '10.244.255.0/24', '10.245.0.0/24', '10.255.255.0/24']);
    assert.equal(MAX_POD_CIDRS, 3072);
    assert.throws(() => podCIDR(MAX_POD_CIDRS), /no pod CIDR number 3072/);
  });

  it('hands out the lowest CIDRs no Node holds', () => {
    const c = new PodCIDRs(['10.244.0.0/24', '10.244.2.0/24']);
    assert.deepEqual([c.take(), c.take(), c.take()], ['10.244.1.0/24', '10.244.3.0/24', '10.244.4.0/24']);
  });
});

describe('pod IPs', () => {
  it('hands out .2 to .254 round robin, one per pod, and keeps an adopted pod\'s address', () => {
    const ips = new PodIPs('10.244.3.0/24');
    assert.equal(ips.allocate('a'), '10.244.3.2');
    assert.equal(ips.allocate('a'), '10.244.3.2', 'the same pod, the same address');
    assert.equal(ips.allocate('b', '10.244.3.9'), '10.244.3.9', 'an adopted pod keeps its address');
    assert.equal(ips.allocate('c', '10.244.3.9'), '10.244.3.3', 'taken: the next free one');
    assert.equal(ips.allocate('d', '10.244.4.9'), '10.244.3.4', 'not ours: the next free one');
    ips.release('a');
    assert.equal(ips.allocate('e'), '10.244.3.5', 'a freed address is not reused at once');
    assert.ok(ips.contains('10.244.3.254') && !ips.contains('10.244.3.1') && !ips.contains('10.244.3.255'));
  });

  it('runs out after 253 pods, and has room again when one goes', () => {
    const ips = new PodIPs('10.244.0.0/24');
    for (let i = 0; i < 253; i++) assert.ok(ips.allocate(`p${i}`));
    assert.equal(ips.allocate('one-more'), undefined);
    ips.release('p7');
    assert.equal(ips.allocate('one-more'), '10.244.0.9');
    assert.equal(ips.size, 253);
  });

  it('takes only a /24', () => {
    assert.throws(() => new PodIPs('10.244.0.0/16'), /a \/24 is needed/);
  });
});
