/** The local demo lives with the examples; loaded lazily so other commands do not pay for it. */
export async function runDemo(): Promise<number> {
  const { runDemo: run } = await import('../../examples/local/demo.js');
  return run();
}
