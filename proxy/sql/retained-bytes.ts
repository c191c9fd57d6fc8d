/**
 * An upper estimate of the V8 heap bytes a plain data value keeps alive (objects, arrays, strings,
 * numbers), for bounding caches by memory rather than by entry count. Shared sub-values are counted
 * each time they are reached, so the estimate only errs high. Constants follow V8's 64-bit layout with
 * pointer compression: a header and 4-byte slots per object, one byte per Latin-1 character and two per
 * other character, 12 bytes per non-small-integer number; each object's properties are counted as if
 * stored in a dictionary, since shapes built per statement do not share one hidden class.
 */
export function retainedBytes(value: unknown): number {
  switch (typeof value) {
    case 'string':
      return stringBytes(value);
    case 'number':
      return Number.isInteger(value) && Math.abs(value) < 2 ** 30 ? 0 : 12;
    case 'object': {
      if (value === null) return 0;
      if (Array.isArray(value)) {
        let n = 16 + 4 * value.length;
        for (const v of value) n += retainedBytes(v);
        return n;
      }
      let n = 24;
      for (const key in value) n += 12 + stringBytes(key) + retainedBytes((value as Record<string, unknown>)[key]);
      return n;
    }
    default:
      return 0;
  }
}

function stringBytes(s: string): number {
  // eslint-disable-next-line no-control-regex
  return 16 + (/^[\x00-\xff]*$/.test(s) ? s.length : 2 * s.length);
}
