// API behaviour suite on SQLite (real store, real engine, built-in plugins).
import { malformedSuite } from "./suite-malformed.ts";
import { walkSuite } from "./suite-walk.ts";

malformedSuite("sqlite");
walkSuite("sqlite");
