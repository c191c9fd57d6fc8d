/**
 * `agentgate approve|deny NAME` (also `kubectl agentgate approve|deny`): the merge patch approvers can
 * always send with kubectl, with the user's kubeconfig. The admission webhook records who decided.
 */
import { CustomObjectsApi, KubeConfig } from '@kubernetes/client-node';
import { mergePatch } from '../../shared/kube/client.js';
import { APPROVAL_PLURAL, GROUP, VERSION } from '../../shared/contract/api.js';

export async function runApprovalDecision(o: {
  decision: 'Approved' | 'Denied';
  name: string;
  namespace?: string;
  comment?: string;
  context?: string;
}): Promise<number> {
  const kc = new KubeConfig();
  kc.loadFromDefault();
  if (o.context) kc.setCurrentContext(o.context);
  const namespace = o.namespace ?? kc.getContextObject(kc.getCurrentContext())?.namespace ?? 'default';
  const spec = { decision: o.decision, ...(o.comment ? { comment: o.comment } : {}) };
  await kc
    .makeApiClient(CustomObjectsApi)
    .patchNamespacedCustomObject(
      { group: GROUP, version: VERSION, namespace, plural: APPROVAL_PLURAL, name: o.name, body: { spec } },
      mergePatch,
    );
  process.stdout.write(`approvalrequest.agentgate.dev/${o.name} ${o.decision.toLowerCase()}\n`);
  return 0;
}
