/**
 * Checks `check` every 100 ms until it resolves `true` (a rejection counts as not yet), and
 * rejects naming `what` once `timeoutMs` has passed. For waiting on processes, never on timing.
 */
export async function eventually(what: string, check: () => Promise<boolean>, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await check().catch(() => false)) return;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
