/**
 * The in-tree plugins by name (kube-scheduler's plugins/registry.go): a
 * profile enables a plugin by its name, and the framework builds it with
 * the factory here. Add a plugin with one line.
 */
import type { PluginFactory } from '../framework/interface.js';
import { newDefaultBinder } from './defaultbinder/index.js';
import { newDefaultPreemption } from './defaultpreemption/index.js';
import { newInterPodAffinity } from './interpodaffinity/index.js';
import { newNodeAffinity } from './nodeaffinity/index.js';
import { newNodeName } from './nodename/index.js';
import { newNodePorts } from './nodeports/index.js';
import { newBalancedAllocation } from './noderesources/balancedallocation.js';
import { newFit } from './noderesources/fit.js';
import { newNodeUnschedulable } from './nodeunschedulable/index.js';
import { newPodTopologySpread } from './podtopologyspread/index.js';
import { newPrioritySort } from './prioritysort/index.js';
import { newTaintToleration } from './tainttoleration/index.js';

/** Plugin name → factory. */
export const inTreeRegistry: Record<string, PluginFactory> = {
  PrioritySort: newPrioritySort,
  NodeUnschedulable: newNodeUnschedulable,
  NodeName: newNodeName,
  TaintToleration: newTaintToleration,
  NodeAffinity: newNodeAffinity,
  NodePorts: newNodePorts,
  NodeResourcesFit: newFit,
  NodeResourcesBalancedAllocation: newBalancedAllocation,
  PodTopologySpread: newPodTopologySpread,
  InterPodAffinity: newInterPodAffinity,
  DefaultPreemption: newDefaultPreemption,
  DefaultBinder: newDefaultBinder,
};
