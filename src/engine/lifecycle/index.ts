// The job lifecycle: the named transitions (one table), the one class that takes them and owns the execution
// records, resolveJob, and the job-path writes that retry while the database is unreachable.
export { AWOL_ERROR, KILLED_ERROR, TRANSITIONS, casOf, transitionTableMarkdown, LifecycleRuleError } from "./transitions.ts";
export { JobLifecycle } from "./lifecycle.ts";
export { isLost, type Execution, type ExecutionsView } from "./execution.ts";
export { resolveJob, type ResolvedJob } from "./resolve.ts";
export { GaveUp, jobError } from "./job-writes.ts";
