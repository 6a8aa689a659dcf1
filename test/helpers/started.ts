/** A value a `beforeAll` sets, read by the tests after it: `what` names it when it was never set (its start failed). */
export function started<T>(value: T | undefined, what: string): T {
  if (value === undefined) throw new Error(`${what} is started in beforeAll, and was not`);
  return value;
}
