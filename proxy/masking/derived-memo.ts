/**
 * A session's column-rule mask for the statement it runs, computed once instead of at each use (when the
 * statement is sent, at its RowDescription, at an error). derivedMask is a function of the classification
 * (never changed once resolved), the masker (one per policy runtime) and the catalog's snapshot answers:
 * the memo answers only for the same three, the snapshot named by `Catalog.version`; a catalog without
 * one is asked afresh every time.
 */
import type { Catalog } from '../sql/catalog.js';
import type { Classification } from '../sql/types.js';
import { derivedMask, type DerivedMask } from './lineage-rule.js';
import type { Masker } from './masker.js';

export class DerivedMaskMemo {
  private last?: { c: Classification; masker: Masker; version: object; mask: DerivedMask | undefined };

  of(c: Classification, masker: Masker, catalog: Catalog): DerivedMask | undefined {
    const version = catalog.version?.();
    const l = this.last;
    if (version !== undefined && l !== undefined && l.c === c && l.masker === masker && l.version === version)
      return l.mask;
    const mask = derivedMask(masker, c.reads, c.tables, catalog, c.functions);
    if (version !== undefined) this.last = { c, masker, version, mask };
    return mask;
  }
}
