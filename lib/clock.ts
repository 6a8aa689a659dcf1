/** The one source of time, in whole seconds since the epoch; injectable for tests. */
export type Clock = () => number;

export const systemClock: Clock = () => Math.floor(Date.now() / 1000);
