// API behaviour suite on PostgreSQL (HEIMDALL_TEST_DATABASE_URL; a fresh database per suite). Skips without it.
import { malformedSuite } from "./suite-malformed.ts";
import { walkSuite } from "./suite-walk.ts";

malformedSuite("postgres");
walkSuite("postgres");
