// The config a command runs with, found the same way for every command.
import { loadConfig } from '../config/load.js';
import type { Config } from '../config/types.js';
import type { Io } from '../io.js';

/** `--config FILE`, or searched from the command's own directory, environment and home. */
export function commandConfig(io: Io, configPath: string | undefined): Promise<Config> {
  return loadConfig({
    ...(configPath === undefined ? {} : { configPath }),
    cwd: io.cwd,
    env: io.env,
    homedir: io.homedir,
  });
}
