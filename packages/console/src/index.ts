export { CONSOLE_APP_DIR, CONSOLE_STATIC_DIR, type VendorModule, vendorModules } from './assets.js';
export {
  type ConsolePage,
  type ConsolePageOptions,
  type ConsoleSettings,
  consoleSettings,
  renderConsolePage,
} from './page.js';
