/**
 * Kubernetes Tables under field rules, whatever the response's label: a Table's cells cannot be
 * mapped to field rules, so with field rules on it is refused, by its Content-Type (as=Table) before
 * a byte is read, and by its shape when it comes labelled plain JSON, in a JSON body, an NDJSON or
 * watch stream, or an SSE event.
 */
import { expect } from 'chai';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { withoutTables } from '../../proxy/http/accept-tables.js';
import { JsonMasker } from '../../proxy/http/json-masker.js';
import { bodyKind, JsonStreamMasker, LineMasker, Uninspectable } from '../../proxy/http/response-masker.js';
import { policyRuntime } from '../support/gate-fixtures.js';

const masker = policyRuntime({ masking: { detectors: ['email'], defaultStrategy: 'redact' } }).masker;

const table = {
  kind: 'Table',
  apiVersion: 'meta.k8s.io/v1',
  columnDefinitions: [{ name: 'Name' }, { name: 'Password' }],
  rows: [{ cells: ['db', 'hunter2-cell'], object: { kind: 'Secret', data: { password: 'aHVudGVyMg==' } } }],
};

async function through(m: JsonMasker, body: string, kind?: 'sse' | 'lines'): Promise<string> {
  const out: Buffer[] = [];
  await pipeline(
    Readable.from([Buffer.from(body)]),
    kind ? new LineMasker(kind, m, masker, 1 << 20, { n: 0 }) : new JsonStreamMasker(m, masker, 1 << 20, { n: 0 }),
    async (src) => {
      for await (const c of src) out.push(c as Buffer);
    },
  );
  return Buffer.concat(out).toString();
}

describe('gate: Kubernetes Table output under field rules', () => {
  it('Content-Type as=Table cannot be inspected while field rules are on (any case, quoted), and is JSON without them', () => {
    for (const t of [
      'application/json;as=Table;v=v1;g=meta.k8s.io',
      'application/json; as="Table"; g=meta.k8s.io; v=v1',
      'application/json;AS=table',
    ]) {
      expect(bodyKind(t, true), t).to.equal(undefined);
      expect(bodyKind(t, false), t).to.equal('json');
    }
    expect(bodyKind('application/json;as=PartialObjectMetadataList;g=meta.k8s.io;v=v1', true)).to.equal('json');
  });

  it('a Table labelled plain JSON is refused by its shape (a key-name rule, a path rule), alone or as a watch event', async () => {
    for (const fields of [[{ path: 'password' }], [{ path: '$.rows[*].object.data.*' }]]) {
      const m = new JsonMasker(masker, fields, 'redact');
      for (const body of [
        JSON.stringify(table),
        `${JSON.stringify({ type: 'ADDED', object: table })}\n`,
        JSON.stringify({ kind: 'List', items: [{ columnDefinitions: [], rows: [] }] }),
      ]) {
        const err = await through(m, body).then(
          () => undefined,
          (e: Error) => e,
        );
        expect(err, body).to.be.instanceOf(Uninspectable);
        expect(err!.message).to.contain('Kubernetes Table');
      }
    }
  });

  it('a Table in an NDJSON line or an SSE event is refused, not left to the detectors', async () => {
    const m = new JsonMasker(masker, [{ path: 'password' }], 'redact');
    for (const [kind, body] of [
      ['lines', `${JSON.stringify({ type: 'ADDED', object: table })}\n`],
      ['sse', `data: ${JSON.stringify(table)}\n\n`],
    ] as const) {
      const err = await through(m, body, kind).then(
        () => undefined,
        (e: Error) => e,
      );
      expect(err, kind).to.be.instanceOf(Uninspectable);
    }
  });

  it("Accept: Table ranges are dropped when another range remains (kubectl's), kept when they are all there is", () => {
    expect(
      withoutTables(
        'application/json;as=Table;v=v1;g=meta.k8s.io,application/json;as=Table;v=v1beta1;g=meta.k8s.io,application/json',
      ),
    ).to.equal('application/json');
    expect(withoutTables('application/json; as="Table"; g=meta.k8s.io, */*;q=0.1')).to.equal('*/*;q=0.1');
    const only = 'application/json;as=Table;v=v1;g=meta.k8s.io';
    expect(withoutTables(only)).to.equal(only);
    expect(withoutTables('application/json')).to.equal('application/json');
  });

  it('only responses are refused: a Table-shaped request body (what approvers read) still gets the field rules', () => {
    const m = new JsonMasker(masker, [{ path: 'password' }], 'redact');
    const out = m.maskText(JSON.stringify({ ...table, password: 'S3cr3t-top' }));
    expect(out.text).not.to.contain('S3cr3t-top');
    expect(out.text).not.to.contain('aHVudGVyMg==');
  });

  it('without field rules a Table is masked by detectors like any JSON', async () => {
    const m = new JsonMasker(masker, [], 'redact');
    const out = await through(m, JSON.stringify({ ...table, rows: [{ cells: ['db', 'eve@example.com'] }] }));
    expect(out).not.to.contain('eve@example.com');
    expect(JSON.parse(out).kind).to.equal('Table');
  });
});
