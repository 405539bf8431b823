/** Runs before any test file: builds the native fixtures and first-party plugins (only what changed). */
import { setDefaultTimeout } from "bun:test";
import { buildNative } from "../scripts/build-native.ts";

// bunfig.toml's `[test] timeout` does not reach hooks (afterAll cleanups that remove images) in Bun 1.4.5.
setDefaultTimeout(30_000);
await buildNative({ quiet: true });
