/**
 * `agentgate review list|ack|escalate` (also `kubectl agentgate review …`): DeviationReview items with
 * the user's own kubeconfig (KUBECONFIG, --context). A decision is a plain merge patch of
 * spec.decision, exactly what `kubectl patch dr NAME --type merge -p …` sends: the admission webhook
 * decides whether this user may review the item and stamps who they are.
 */
import { CustomObjectsApi, KubeConfig } from '@kubernetes/client-node';
import { mergePatch, messageOf } from '../../shared/kube/client.js';
import { GROUP, VERSION } from '../../shared/contract/api.js';
import { REVIEW_PLURAL, type DeviationReview } from '../../operator/reviews/types.js';

export interface ReviewCommand {
  action: 'list' | 'ack' | 'escalate';
  names: string[];
  namespace?: string;
  allNamespaces?: boolean;
  context?: string;
  /** list: only Open and Exception items. */
  open?: boolean;
  comment?: string;
  ticket?: string;
  output?: 'table' | 'json';
}

function api(o: ReviewCommand): { custom: CustomObjectsApi; namespace: string } {
  const kc = new KubeConfig();
  kc.loadFromDefault();
  if (o.context) kc.setCurrentContext(o.context);
  const namespace = o.namespace ?? kc.getContextObject(kc.getCurrentContext())?.namespace ?? 'default';
  return { custom: kc.makeApiClient(CustomObjectsApi), namespace };
}

const age = (t?: string): string => {
  if (!t) return '';
  const s = Math.max(0, (Date.now() - Date.parse(t)) / 1000);
  return s < 120
    ? `${Math.floor(s)}s`
    : s < 7200
      ? `${Math.floor(s / 60)}m`
      : s < 172_800
        ? `${Math.floor(s / 3600)}h`
        : `${Math.floor(s / 86_400)}d`;
};

export async function runReview(o: ReviewCommand): Promise<number> {
  const { custom, namespace } = api(o);
  if (o.action === 'list') {
    const list = (
      o.allNamespaces
        ? await custom.listClusterCustomObject({ group: GROUP, version: VERSION, plural: REVIEW_PLURAL })
        : await custom.listNamespacedCustomObject({ group: GROUP, version: VERSION, namespace, plural: REVIEW_PLURAL })
    ) as { items: DeviationReview[] };
    const items = list.items.filter((d) => !o.open || ['Open', 'Exception', undefined].includes(d.status?.state));
    if (o.output === 'json') {
      process.stdout.write(`${JSON.stringify(items, null, 2)}\n`);
      return 0;
    }
    const rows = items.map((d) => [
      ...(o.allNamespaces ? [d.metadata.namespace ?? ''] : []),
      d.metadata.name ?? '',
      d.spec.agent.serviceAccount,
      d.spec.kind,
      d.spec.rule,
      String(d.status?.count ?? 0),
      age(d.status?.firstSeen),
      age(d.status?.lastSeen),
      d.status?.state ?? 'Open',
      d.spec.decision?.reviewedBy ?? '',
    ]);
    const header = [
      ...(o.allNamespaces ? ['NAMESPACE'] : []),
      'NAME',
      'AGENT',
      'KIND',
      'RULE',
      'COUNT',
      'FIRST SEEN',
      'LAST SEEN',
      'STATE',
      'REVIEWER',
    ];
    const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
    for (const r of [header, ...rows])
      process.stdout.write(
        `${r
          .map((c, i) => c.padEnd(widths[i]!))
          .join('   ')
          .trimEnd()}\n`,
      );
    if (!rows.length) process.stderr.write(`No review items${o.allNamespaces ? '' : ` in namespace ${namespace}`}.\n`);
    return 0;
  }
  const state = o.action === 'ack' ? 'Acknowledged' : 'Escalated';
  if (state === 'Escalated' && !o.comment && !o.ticket)
    throw new Error('review escalate needs -m COMMENT or --ticket TICKET');
  let failed = 0;
  for (const name of o.names) {
    const decision = { state, ...(o.comment ? { comment: o.comment } : {}), ...(o.ticket ? { ticket: o.ticket } : {}) };
    try {
      const done = (await custom.patchNamespacedCustomObject(
        { group: GROUP, version: VERSION, namespace, plural: REVIEW_PLURAL, name, body: { spec: { decision } } },
        mergePatch,
      )) as DeviationReview;
      const d = done.spec.decision;
      process.stdout.write(
        `deviationreview.agentgate.dev/${name} ${d?.state?.toLowerCase() ?? state.toLowerCase()} by ${d?.reviewedBy ?? '?'}\n`,
      );
    } catch (e) {
      failed++;
      process.stderr.write(`error: ${name}: ${messageOf(e)}\n`);
    }
  }
  return failed ? 1 : 0;
}
