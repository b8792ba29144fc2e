// The version printed by --version and written to the log; kept in step with package.json by a test.
export const VERSION = '0.1.0';
