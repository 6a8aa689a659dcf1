/**
 * What a test allows above a configured time limit, for its own round trip on a busy machine
 * (suites run in parallel, beside other work). A request left waiting on Redis, the failure
 * these bounds catch, would take seconds more or never end.
 */
export const SLACK_MS = 1500;
