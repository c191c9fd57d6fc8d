// node-postgres' SCRAM client (pg/lib/crypto/sasl.js) has no published types.
declare module 'pg/lib/crypto/sasl.js' {
  const sasl: {
    startSession(mechanisms: string[], stream?: unknown): { mechanism: string; response: string };
    continueSession(session: unknown, password: string, serverData: string, stream?: unknown): Promise<void>;
    finalizeSession(session: unknown, serverData: string): void;
  };
  export default sasl;
}
