/**
 * The environment variables the injector gives an agent container per target, and the ones it sets
 * itself. A target whose variables would take the name of a fixed one (an HTTP target named
 * "operator" gives AGENTGATE_OPERATOR_URL) would point the agent's `agentgate token exchange` at that
 * target's listener, and so at its upstream API: such names are refused when the policy is validated.
 */
import { ENV, targetEnvPrefix } from './sidecar.js';

/** What the injector sets for a target: _HOST and _PORT always; _URL for HTTP and MCP; _PROXY for a forward proxy. */
export function targetEnvNames(t: { name: string; protocol?: string; forwardProxy?: unknown }): string[] {
  const p = targetEnvPrefix(t.name);
  return [
    `${p}_HOST`,
    `${p}_PORT`,
    ...(t.protocol === 'http' || t.protocol === 'mcp' ? [`${p}_URL`] : []),
    ...(t.protocol === 'http' && t.forwardProxy ? [`${p}_PROXY`] : []),
  ];
}

/** The agent's variables that are agentgate's own, not a target's. */
export const FIXED_AGENT_ENV: ReadonlySet<string> = new Set([
  ...Object.values(ENV),
  'PGHOST',
  'PGPORT',
  'PGDATABASE',
  'PGSSLMODE',
]);

/** Errors for targets whose variables would take a fixed one's name (target names map to distinct variables). */
export function targetEnvErrors(
  targets: { name: string; protocol?: string; forwardProxy?: unknown }[],
): { path: string; message: string }[] {
  return targets.flatMap((t, i) =>
    targetEnvNames(t)
      .filter((v) => FIXED_AGENT_ENV.has(v))
      .map((v) => ({
        path: `spec.targets[${i}].name`,
        message: `target name "${t.name}" would set the agent's ${v}, which agentgate sets itself; choose another name`,
      })),
  );
}
