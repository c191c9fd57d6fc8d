/** `agentgate` command line: proxy, token, sql, audit, policy, demo. */
import { readFileSync } from 'node:fs';
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { BUSY_POLL_RULE, busyPollMicros, ENV } from '../shared/contract/sidecar.js';
// Commands are loaded on demand: the proxy does not carry the operator's dependencies, and vice versa.
const runAuditVerify = async (o: import('./commands/audit.js').AuditVerifyCommand) =>
  (await import('./commands/audit.js')).runAuditVerify(o);
const runDemo = async () => (await import('./commands/demo.js')).runDemo();
const runOperator = async (o: import('./commands/operator.js').OperatorCommand) =>
  (await import('./commands/operator.js')).runOperator(o);
const runPolicyValidate = async (f: string) => (await import('./commands/policy.js')).runPolicyValidate(f);
const runProxy = async (o: import('../proxy/main.js').ProxyCommand) => (await import('../proxy/main.js')).runProxy(o);
const runEvidence = async (o: import('./commands/evidence.js').EvidenceCommand) =>
  (await import('./commands/evidence.js')).runEvidence(o);
const runEvidenceVerify = async (o: import('./commands/evidence-verify.js').EvidenceVerifyCommand) =>
  (await import('./commands/evidence-verify.js')).runEvidenceVerify(o);
const runSessionList = async (f: string[]) => (await import('./commands/session.js')).runSessionList(f);
const runSessionShow = async (id: string, f: string[], dir?: string) =>
  (await import('./commands/session.js')).runSessionShow(id, f, dir);
const runSqlExplain = async (q: string) => (await import('./commands/sql.js')).runSqlExplain(q);
const runTokenExchange = async (o: import('./commands/token-exchange.js').TokenExchangeCommand) =>
  (await import('./commands/token-exchange.js')).runTokenExchange(o);
const runReview = async (o: import('./commands/review.js').ReviewCommand) =>
  (await import('./commands/review.js')).runReview(o);
const subjectTokenType = (t: string): 'jwt' | 'id_token' | 'saml2' => {
  if (t !== 'jwt' && t !== 'id_token' && t !== 'saml2')
    throw new UsageError('--subject-token-type must be id_token, jwt or saml2');
  return t;
};
const busyPollWindow = (v: string): number => {
  const n = busyPollMicros(v);
  if (n === undefined) throw new UsageError(`--busy-poll-micros must be ${BUSY_POLL_RULE}`);
  return n;
};
/** A window in seconds for setInterval: 0 (off), or 1 s up to a day (past 24.8 days Node's timers fire every 1 ms). */
const windowSeconds = (flag: string, v: string): number => {
  const n = Number(v);
  if (v.trim() === '' || !Number.isFinite(n) || (n !== 0 && (n < 1 || n > 86_400)))
    throw new UsageError(`${flag} must be 0 (off) or a number of seconds from 1 to 86400`);
  return n;
};
const runTokenIssue = async (o: Parameters<typeof import('./commands/token.js').runTokenIssue>[0]) =>
  (await import('./commands/token.js')).runTokenIssue(o);

const USAGE = `usage: agentgate <command>

  proxy (--policy FILE | --policy-ref NS/NAME) [--audit-file FILE] [--audit-max-bytes N] [--no-audit-stdout]
        [--operator-url OPERATOR_URL [--operator-ca FILE]]   (approvals through the operator; default: the checkpoint URL)
        [--checkpoint-url OPERATOR_URL [--checkpoint-ca FILE] | --witness-file FILE [--witness-key-dir DIR]]
        [--checkpoint-every SECONDS] [--audit-stream NAME] [--recordings-dir DIR | --no-recordings]
        [--health-address HOST:PORT] [--idle-memory-seconds N] [--busy-poll-micros N]
                          run the guard proxy for every target of the policy (a file in local
                          mode; in a cluster, the policy's compiled ConfigMap, followed live);
                          signed checkpoints of the audit chain by the operator or a local witness;
                          session recordings in DIR/<audit file name>/ (DIR default: sessions/ beside it);
                          /healthz, /readyz and /metrics on --health-address; memory given back
                          at start and after N quiet seconds (default 10; 0: never); with
                          --busy-poll-micros, the event loop polls instead of sleeping for N µs
                          after Postgres traffic awaiting an answer (lower latency for up to a core)
  token issue --dir DIR --issuer URL --subject SUB [--audience AUD] [--ttl SECONDS]
                          mint a short-lived dev token (creates DIR/dev-jwks.json)
  token exchange [--url OPERATOR_URL] --subject-token(-file) T [--subject-token-type id_token|jwt|saml2]
        [--actor-token-file F] [--ca FILE] [--resource NS/POLICY]
                          exchange a person's token (an OIDC ID token, or a SAML assertion, base64url
                          or XML) + the agent's token for a run token (RFC 8693)
  sql explain "<sql>"     print the classification of a query as JSON
  audit verify FILE... [--anchor HASH] [--witness FILE [--witness-keys JWKS] | --cluster [--operator-namespace NS]]
        [--stream NAME] [--recordings DIR]
                          check the audit log's hash chain (rotated files oldest first), its signed
                          checkpoints (with the witness's copy: that every chain is one the witness
                          signed, whole, with no tail cut off or added), and each log's session
                          recordings (default: sessions/<audit file name>/ beside it)
  evidence --audit-file FILE... --out DIR [--from DATE] [--to DATE] [--namespace NS]
        [--cluster [--operator-namespace NS] [--operator-url URL --operator-ca FILE [--operator-token-file F]]
         | --witness FILE [--witness-keys JWKS]] [--reviews FILE] [--recordings DIR] [--sign-key-dir DIR] [--no-pdf]
                          auditor's bundle (JSON/CSV, the audit files, recordings and the witness's
                          checkpoints, re-verifiable offline) and a self-contained report per SOC 2
                          control, HTML and PDF (headless Chromium); the period starts at --from, else
                          at the earliest record exported; every deviation with its review
                          (DeviationReviews: --reviews FILE from \`kubectl get deviationreviews -A -o json\`,
                          or the cluster's); --cluster adds ApprovalRequests, policies, the operator's
                          checkpoints and the operator's countersignature (AGENTGATE_OPERATOR_URL,
                          AGENTGATE_OPERATOR_CA_FILE); a signed manifest of every file (key: DIR,
                          default the local witness key)
  evidence verify DIR (--jwks FILE | --fingerprint THUMBPRINT)...
                          check a bundle against trusted keys: any file added, removed or changed fails
  session list --audit-file FILE          agent sessions recorded in the audit log
  session show ID --audit-file FILE [--recordings DIR]
                          replay one session's recording (checked against the chain): statements,
                          decisions, timings, rows, masked counts
  policy validate FILE    validate an AgentAccessPolicy file
  demo                    run the local demo (embedded PostgreSQL, proxy, scripted agent)
  review list [-n NS | -A] [--open] [-o json] [--context CTX]
  review ack NAME... [-n NS] [-m COMMENT] [--ticket T] [--context CTX]
  review escalate NAME... [-n NS] (-m COMMENT | --ticket T) [--context CTX]
                          review deviations (DeviationReview items) with your kubeconfig; also
                          \`kubectl agentgate review …\` (bin/kubectl-agentgate on PATH)
  approve|deny NAME [-n NS] [-m COMMENT] [--context CTX]
                          decide on an ApprovalRequest (\`kubectl agentgate approve …\`)
  operator [--lease-namespace NS] [--watch-namespace NS] [--health-address HOST:PORT]
                          run the operator against the current kubeconfig or in-cluster config
`;

async function main(argv: string[]): Promise<number> {
  const [cmd, sub, ...rest] = argv;
  const options = argv.slice(1, argv.includes('--') ? argv.indexOf('--') : undefined);
  if (cmd && (options.includes('--help') || options.includes('-h'))) {
    process.stdout.write(USAGE);
    return 0;
  }
  const args = (
    options: ParseArgsConfig['options'],
    list: string[],
  ): { values: Record<string, string | boolean | undefined> } =>
    parseArgs({ args: list, options, allowPositionals: true, strict: true }) as {
      values: Record<string, string | boolean | undefined>;
    };
  switch (cmd) {
    case 'proxy': {
      const { values } = args(
        {
          policy: { type: 'string' },
          'policy-ref': { type: 'string' },
          'audit-file': { type: 'string' },
          'audit-max-bytes': { type: 'string' },
          'no-audit-stdout': { type: 'boolean' },
          'audit-stream': { type: 'string' },
          'operator-url': { type: 'string' },
          'operator-ca': { type: 'string' },
          'checkpoint-url': { type: 'string' },
          'checkpoint-ca': { type: 'string' },
          'witness-file': { type: 'string' },
          'witness-key-dir': { type: 'string' },
          'checkpoint-every': { type: 'string' },
          'recordings-dir': { type: 'string' },
          'no-recordings': { type: 'boolean' },
          'health-address': { type: 'string' },
          'idle-memory-seconds': { type: 'string' },
          'busy-poll-micros': { type: 'string' },
        },
        argv.slice(1),
      );
      const str = (k: string): string | undefined => (values[k] === undefined ? undefined : String(values[k]));
      if (!values.policy === !values['policy-ref'])
        throw new UsageError('proxy needs exactly one of --policy FILE or --policy-ref NAMESPACE/NAME');
      return runProxy({
        ...(values.policy ? { policyFile: String(values.policy) } : { policyRef: String(values['policy-ref']) }),
        ...(values['audit-file'] ? { auditFile: String(values['audit-file']) } : {}),
        ...(values['audit-max-bytes'] ? { auditMaxBytes: Number(values['audit-max-bytes']) } : {}),
        auditStdout: !values['no-audit-stdout'],
        ...(str('audit-stream') ? { auditStream: str('audit-stream')! } : {}),
        ...(str('operator-url') ? { operatorUrl: str('operator-url')! } : {}),
        ...(str('operator-ca') ? { operatorCaFile: str('operator-ca')! } : {}),
        ...(str('checkpoint-url') ? { checkpointUrl: str('checkpoint-url')! } : {}),
        ...(str('checkpoint-ca') ? { checkpointCaFile: str('checkpoint-ca')! } : {}),
        ...(str('witness-file') ? { witnessFile: str('witness-file')! } : {}),
        ...(str('witness-key-dir') ? { witnessKeyDir: str('witness-key-dir')! } : {}),
        ...(str('checkpoint-every') ? { checkpointEverySeconds: Number(str('checkpoint-every')) } : {}),
        ...(str('recordings-dir') ? { recordingsDir: str('recordings-dir')! } : {}),
        recordings: !values['no-recordings'],
        ...(str('health-address') ? { healthAddress: str('health-address')! } : {}),
        ...(values['idle-memory-seconds'] !== undefined
          ? { idleMemorySeconds: windowSeconds('--idle-memory-seconds', String(values['idle-memory-seconds'])) }
          : {}),
        ...(str('busy-poll-micros') !== undefined ? { busyPollMicros: busyPollWindow(str('busy-poll-micros')!) } : {}),
      });
    }
    case 'token': {
      if (sub === 'exchange') {
        const { values } = args(
          {
            url: { type: 'string' },
            'subject-token': { type: 'string' },
            'subject-token-file': { type: 'string' },
            'subject-token-type': { type: 'string' },
            'actor-token-file': { type: 'string' },
            ca: { type: 'string' },
            resource: { type: 'string' },
          },
          rest,
        );
        const subject = values['subject-token']
          ? String(values['subject-token'])
          : values['subject-token-file']
            ? readFileSync(String(values['subject-token-file']), 'utf8').trim()
            : undefined;
        // In an injected pod the defaults come from the environment the webhook set.
        const actorFile = String(values['actor-token-file'] ?? process.env[ENV.tokenFile] ?? '');
        const url = values.url ?? process.env[ENV.operatorUrl];
        // The CA fixed in the pod spec at admission comes before the file mounted from the (editable) ConfigMap.
        const caPem = values.ca ? undefined : process.env[ENV.operatorCa];
        const ca = values.ca ?? (caPem ? undefined : process.env[ENV.operatorCaFile]);
        if (!url || !subject || !actorFile)
          throw new UsageError(
            'token exchange needs --url (or AGENTGATE_OPERATOR_URL), --subject-token(-file) and --actor-token-file (or AGENTGATE_TOKEN_FILE)',
          );
        return runTokenExchange({
          url: String(url),
          subjectToken: subject,
          actorToken: readFileSync(actorFile, 'utf8').trim(),
          ...(ca ? { caFile: String(ca) } : {}),
          ...(caPem ? { ca: caPem } : {}),
          ...(values.resource ? { resource: String(values.resource) } : {}),
          ...(values['subject-token-type']
            ? { subjectTokenType: subjectTokenType(String(values['subject-token-type'])) }
            : {}),
        });
      }
      if (sub !== 'issue') throw new UsageError('token: expected "issue" or "exchange"');
      const { values } = args(
        {
          dir: { type: 'string' },
          issuer: { type: 'string' },
          subject: { type: 'string' },
          audience: { type: 'string' },
          ttl: { type: 'string' },
        },
        rest,
      );
      if (!values.dir || !values.issuer || !values.subject)
        throw new UsageError('token issue needs --dir, --issuer and --subject');
      return runTokenIssue({
        dir: String(values.dir),
        issuer: String(values.issuer),
        subject: String(values.subject),
        audience: String(values.audience ?? 'agentgate'),
        ttlSeconds: Number(values.ttl ?? 600),
      });
    }
    case 'sql':
      if (sub !== 'explain' || rest.length !== 1) throw new UsageError('sql explain "<sql>"');
      return runSqlExplain(rest[0]!);
    case 'evidence': {
      if (sub === 'verify') {
        const { values, positionals } = parseArgs({
          args: rest,
          options: { jwks: { type: 'string', multiple: true }, fingerprint: { type: 'string', multiple: true } },
          allowPositionals: true,
          strict: true,
        });
        const jwks = (values.jwks ?? []) as string[];
        const fingerprints = (values.fingerprint ?? []) as string[];
        if (positionals.length !== 1 || (!jwks.length && !fingerprints.length))
          throw new UsageError(
            'evidence verify DIR (--jwks FILE | --fingerprint THUMBPRINT)...: the keys to trust must come from outside the bundle',
          );
        return runEvidenceVerify({ dir: positionals[0]!, jwks, fingerprints });
      }
      const { values } = parseArgs({
        args: argv.slice(1),
        options: {
          'audit-file': { type: 'string', multiple: true },
          from: { type: 'string' },
          to: { type: 'string' },
          namespace: { type: 'string' },
          out: { type: 'string' },
          cluster: { type: 'boolean' },
          witness: { type: 'string' },
          'witness-keys': { type: 'string' },
          'operator-namespace': { type: 'string' },
          recordings: { type: 'string' },
          'sign-key-dir': { type: 'string' },
          reviews: { type: 'string' },
          'no-pdf': { type: 'boolean' },
          'operator-url': { type: 'string' },
          'operator-ca': { type: 'string' },
          'operator-token-file': { type: 'string' },
        },
        strict: true,
      });
      const files = (values['audit-file'] ?? []) as string[];
      const from = values.from === undefined ? undefined : new Date(String(values.from));
      const to = new Date(String(values.to ?? new Date().toISOString()));
      const usage =
        'evidence --audit-file FILE... --out DIR [--from DATE] [--to DATE] [--namespace NS] [--cluster [--operator-namespace NS] [--operator-url URL --operator-ca FILE [--operator-token-file F]] | --witness FILE [--witness-keys JWKS]] [--reviews FILE] [--recordings DIR] [--sign-key-dir DIR] [--no-pdf]';
      if (!files.length || !values.out || (from && Number.isNaN(from.getTime())) || Number.isNaN(to.getTime()))
        throw new UsageError(usage);
      if (from && from.getTime() > to.getTime())
        throw new UsageError(`--from ${String(values.from)} is after --to ${String(values.to ?? 'now')}`);
      const operatorUrl = values['operator-url'] ?? (values.cluster ? process.env.AGENTGATE_OPERATOR_URL : undefined);
      const operatorCa = values['operator-ca'] ?? (values.cluster ? process.env.AGENTGATE_OPERATOR_CA_FILE : undefined);
      if (operatorUrl && !values.cluster)
        throw new UsageError('--operator-url countersigns a cluster export: add --cluster');
      return runEvidence({
        auditFiles: files,
        to,
        out: String(values.out),
        cluster: Boolean(values.cluster),
        ...(from ? { from } : {}),
        operatorNamespace: String(values['operator-namespace'] ?? 'agentgate-system'),
        ...(values.namespace ? { namespace: String(values.namespace) } : {}),
        ...(values.witness ? { witnessFile: String(values.witness) } : {}),
        ...(values['witness-keys'] ? { witnessKeys: String(values['witness-keys']) } : {}),
        ...(values.recordings ? { recordingsDir: String(values.recordings) } : {}),
        ...(values['sign-key-dir'] ? { signKeyDir: String(values['sign-key-dir']) } : {}),
        ...(values.reviews ? { reviewsFile: String(values.reviews) } : {}),
        ...(values['no-pdf'] ? { pdf: false } : {}),
        ...(operatorUrl ? { operatorUrl: String(operatorUrl) } : {}),
        ...(operatorCa ? { operatorCaFile: String(operatorCa) } : {}),
        ...(values['operator-token-file'] ? { operatorTokenFile: String(values['operator-token-file']) } : {}),
      });
    }
    case 'session': {
      const { values, positionals } = parseArgs({
        args: rest,
        options: { 'audit-file': { type: 'string', multiple: true }, recordings: { type: 'string' } },
        allowPositionals: true,
        strict: true,
      });
      const files = (values['audit-file'] ?? []) as string[];
      if (!files.length)
        throw new UsageError('session needs --audit-file FILE (repeat for rotated files, oldest first)');
      if (sub === 'list') return runSessionList(files);
      if (sub === 'show' && positionals.length === 1)
        return runSessionShow(positionals[0]!, files, values.recordings as string | undefined);
      throw new UsageError('session list|show <id> --audit-file FILE [--recordings DIR]');
    }
    case 'audit': {
      const { values, positionals } = parseArgs({
        args: rest,
        options: {
          anchor: { type: 'string' },
          witness: { type: 'string' },
          'witness-keys': { type: 'string' },
          cluster: { type: 'boolean' },
          stream: { type: 'string' },
          'operator-namespace': { type: 'string' },
          recordings: { type: 'string' },
        },
        allowPositionals: true,
        strict: true,
      });
      if (sub !== 'verify' || positionals.length < 1 || (values.witness && values.cluster))
        throw new UsageError(
          'audit verify FILE [FILE...] [--anchor HASH] [--witness FILE [--witness-keys JWKS] | --cluster [--operator-namespace NS]] [--stream NAME]',
        );
      return runAuditVerify({
        files: positionals,
        ...(values.anchor ? { anchor: String(values.anchor) } : {}),
        ...(values.witness ? { witnessFile: String(values.witness) } : {}),
        ...(values['witness-keys'] ? { witnessKeys: String(values['witness-keys']) } : {}),
        ...(values.stream ? { stream: String(values.stream) } : {}),
        ...(values.recordings ? { recordingsDir: String(values.recordings) } : {}),
        cluster: Boolean(values.cluster),
        operatorNamespace: String(values['operator-namespace'] ?? 'agentgate-system'),
      });
    }
    case 'review': {
      const { values, positionals } = parseArgs({
        args: rest,
        options: {
          namespace: { type: 'string', short: 'n' },
          'all-namespaces': { type: 'boolean', short: 'A' },
          open: { type: 'boolean' },
          output: { type: 'string', short: 'o' },
          comment: { type: 'string', short: 'm' },
          ticket: { type: 'string' },
          context: { type: 'string' },
        },
        allowPositionals: true,
        strict: true,
      });
      if (sub !== 'list' && sub !== 'ack' && sub !== 'escalate') throw new UsageError('review list|ack|escalate');
      if (sub !== 'list' && !positionals.length) throw new UsageError(`review ${sub} NAME... [-n NAMESPACE]`);
      if (values.output !== undefined && values.output !== 'json') throw new UsageError('review list -o json');
      return runReview({
        action: sub,
        names: positionals,
        ...(values.namespace ? { namespace: String(values.namespace) } : {}),
        ...(values['all-namespaces'] ? { allNamespaces: true } : {}),
        ...(values.open ? { open: true } : {}),
        ...(values.output ? { output: 'json' as const } : {}),
        ...(values.comment ? { comment: String(values.comment) } : {}),
        ...(values.ticket ? { ticket: String(values.ticket) } : {}),
        ...(values.context ? { context: String(values.context) } : {}),
      });
    }
    case 'approve':
    case 'deny': {
      const { values, positionals } = parseArgs({
        args: argv.slice(1),
        options: {
          namespace: { type: 'string', short: 'n' },
          comment: { type: 'string', short: 'm' },
          context: { type: 'string' },
        },
        allowPositionals: true,
        strict: true,
      });
      if (positionals.length !== 1) throw new UsageError(`${cmd} NAME [-n NAMESPACE] [-m COMMENT]`);
      const { runApprovalDecision } = await import('./commands/approve.js');
      return runApprovalDecision({
        decision: cmd === 'approve' ? 'Approved' : 'Denied',
        name: positionals[0]!,
        ...(values.namespace ? { namespace: String(values.namespace) } : {}),
        ...(values.comment ? { comment: String(values.comment) } : {}),
        ...(values.context ? { context: String(values.context) } : {}),
      });
    }
    case 'policy':
      if (sub !== 'validate' || rest.length !== 1) throw new UsageError('policy validate FILE');
      return runPolicyValidate(rest[0]!);
    case 'demo':
      return runDemo();
    case 'operator': {
      const { values } = args(
        {
          'lease-namespace': { type: 'string' },
          'watch-namespace': { type: 'string' },
          'health-address': { type: 'string' },
        },
        argv.slice(1),
      );
      return runOperator({
        leaseNamespace: String(values['lease-namespace'] ?? process.env.POD_NAMESPACE ?? 'agentgate-system'),
        ...(values['watch-namespace'] ? { watchNamespace: String(values['watch-namespace']) } : {}),
        healthAddress: String(values['health-address'] ?? '127.0.0.1:8081'),
      });
    }
    case undefined:
    case 'help':
    case '--help':
      process.stdout.write(USAGE);
      return cmd ? 0 : 2;
    default:
      throw new UsageError(`unknown command "${cmd}"`);
  }
}

class UsageError extends Error {}

// `agentgate … | head`: a closed pipe ends the output, it is not an error.
process.stdout.on('error', (e: NodeJS.ErrnoException) => {
  if (e.code === 'EPIPE') process.exit(0);
  throw e;
});

main(process.argv.slice(2)).then(
  (code) => {
    if (code !== -1) process.exitCode = code;
  },
  (e: Error) => {
    process.stderr.write(`agentgate: ${e.message}\n${e instanceof UsageError ? `\n${USAGE}` : ''}`);
    process.exitCode = e instanceof UsageError ? 2 : 1;
  },
);
