// The job lifecycle: the named transitions (one table), the one class that takes them and owns the execution
// records, resolveJob, and the job-path writes that retry while the database is unreachable.
export { AWOL_ERROR, KILLED_ERROR, TRANSITIONS, casOf, transitionTableMarkdown, LifecycleRuleError } from "./transitions.ts";
export type { Actor, LifecycleTransition, TransitionName } from "./transitions.ts";
export { JobLifecycle } from "./lifecycle.ts";
export { isLost, type Execution, type ExecutionsView, type Phase } from "./execution.ts";
export { resolveJob, type ResolvedJob, type ResolveDeps } from "./resolve.ts";
export { GaveUp, jobError, MAX_ERROR_CHARS, type LifecycleDeps } from "./job-writes.ts";
