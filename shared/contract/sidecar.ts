/**
 * The injected pod as the injector builds it and the proxy reads it: container and volume names,
 * mount paths, environment variables, ports and the sidecar's own uid.
 */
export const PROXY_CONTAINER = 'agentgate-proxy';
export const TOKEN_VOLUME = 'agentgate-token';
export const TOKEN_DIR = '/var/run/agentgate/token';
/** The proxy's own token (audience agentgate-proxy), for its calls to the operator: the agent never holds it. */
export const PROXY_TOKEN_VOLUME = 'agentgate-proxy-token';
export const PROXY_TOKEN_DIR = '/var/run/agentgate/proxy-token';
export const PROXY_AUDIENCE = 'agentgate-proxy';
/** Upstream credentials from a Secret: `<dir>/<target>/password`, mounted into the proxy container only. */
export const CREDENTIALS_DIR = '/var/run/agentgate/credentials';
/**
 * Mode of the mounted credentials: a real kubelet writes them root-owned, and the proxy reads them as
 * its own uid (agents can neither mount the volume nor take that uid: pod-guard.ts).
 */
export const CREDENTIALS_MODE = 0o444;
export const AUDIT_DIR = '/var/log/agentgate';
/** The proxy's root filesystem is read-only: its audit directory and /tmp are its only writable paths. */
export const TMP_VOLUME = 'agentgate-tmp';
/** The operator's CA certificate for agents, from the policy's compiled ConfigMap (key operator-ca.crt). */
export const OPERATOR_DIR = '/var/run/agentgate/operator';
export const OPERATOR_CA_VOLUME = 'agentgate-operator-ca';
/** The sidecar's /healthz, /readyz and /metrics (reachable by the kubelet, so not loopback). */
export const HEALTH_PORT = 15021;
/** The sidecar's own uid and gid: agent containers may not run as them (pod-guard.ts). */
export const PROXY_UID = 17017;
export const PROXY_GID = 17017;

/**
 * Busy polling's window (proxy/busy-poll.ts), from the pod annotation agentgate.dev/busy-poll-micros to the
 * proxy's --busy-poll-micros. Past a few round trips a spin only burns the CPU it was meant to save.
 */
export const BUSY_POLL_MAX_MICROS = 10_000;

/** What a busy-poll window may be, for the errors that refuse any other. */
export const BUSY_POLL_RULE = `an integer number of µs from 0 (off) to ${BUSY_POLL_MAX_MICROS}`;

/** A busy-poll window from its text form (BUSY_POLL_RULE); else undefined. */
export function busyPollMicros(text: string): number | undefined {
  return /^\d{1,5}$/.test(text) && Number(text) <= BUSY_POLL_MAX_MICROS ? Number(text) : undefined;
}

/** Environment variables the injector sets (proxy container, agent containers) and the CLI reads. */
export const ENV = {
  /** Proxy: where Secret credentials are mounted. */
  credentialsDir: 'AGENTGATE_CREDENTIALS_DIR',
  /** Proxy: its own token for calls to the operator. */
  proxyTokenFile: 'AGENTGATE_PROXY_TOKEN_FILE',
  /** Proxy and agent: the operator's CA (PEM), fixed at admission. */
  operatorCa: 'AGENTGATE_OPERATOR_CA',
  /** Agent: its projected token. */
  tokenFile: 'AGENTGATE_TOKEN_FILE',
  /** Agent: the operator's pod-facing URL and the CA file to trust it with. */
  operatorUrl: 'AGENTGATE_OPERATOR_URL',
  operatorCaFile: 'AGENTGATE_OPERATOR_CA_FILE',
} as const;

/** The per-target variables an agent container gets: AGENTGATE_<TARGET>_HOST / _PORT. */
export const targetEnvPrefix = (target: string): string =>
  `AGENTGATE_${target.toUpperCase().replace(/[^A-Z0-9]/g, '_')}`;
