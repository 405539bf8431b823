/** Runs before any test file: builds the native fixtures and first-party plugins (only what changed). */
import { buildNative } from "../scripts/build-native.ts";

await buildNative({ quiet: true });
