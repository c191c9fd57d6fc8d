/** Awaits a promise that must fail (a refused query or connection) and returns the error. */
export async function pgError(
  p: Promise<unknown>,
): Promise<{ code?: string; message: string; detail?: string; hint?: string }> {
  try {
    await p;
  } catch (e) {
    return e as { code?: string; message: string };
  }
  throw new Error('expected an error');
}
