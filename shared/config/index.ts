export { loadConfig, loadConfigOrExit, ConfigError, CONFIG_ENV_VARS, defaultConfigDir } from './load.js';
export type { Config, AppEnv, EventTopics, RelaySettings } from './types.js';
