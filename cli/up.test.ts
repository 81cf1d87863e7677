/** `kubeling up`'s --extra-config: minikube's component.flag=value, with its component names. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { extraConfig } from './up.js';

describe('extraConfig', () => {
  it('groups flags by component, in order, and takes minikube\'s etcd and kubelet for store and nodes', () => {
    const extra = extraConfig([
      'controller-manager.node-monitor-grace-period=10s',
      'etcd.snapshot-count=1000',
      'kubelet.node-lease-duration-seconds=8',
      'controller-manager.controllers=*,-podgc',
      'apiserver.token-auth-file=/a=b.csv',
    ]);
    assert.deepEqual(Object.fromEntries(extra), {
      'controller-manager': ['--node-monitor-grace-period=10s', '--controllers=*,-podgc'],
      store: ['--snapshot-count=1000'],
      nodes: ['--node-lease-duration-seconds=8'],
      apiserver: ['--token-auth-file=/a=b.csv'],
    });
  });

  it('refuses a value without a component it knows, or without a flag', () => {
    for (const bad of ['kube-proxy.mode=ipvs', 'apiserver', 'apiserver.=1', 'node-monitor-period=1s', '.x=1']) {
      assert.throws(() => extraConfig([bad]), new RegExp(`--extra-config must be component\\.flag=value .*not "${bad.replace(/[.*]/g, '\\$&')}"`));
    }
  });
});
