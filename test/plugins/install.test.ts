/**
 * hm plugin install / remove through the CLI: local files, https with a
 * pinned SHA-256 (a local TLS server whose self-signed certificate is trusted
 * through NODE_EXTRA_CA_CERTS), and validation before anything is copied.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { LIBRARY_EXTENSION } from "../../src/plugins/paths.ts";
import { runHm, tempDir } from "../helpers/hm.ts";
import { compilePlugin, fixturePath } from "../helpers/native.ts";

const home = tempDir("hm-install-home-");
const pluginsDir = join(home.path, ".harmont", "plugins");
const hm = (args: string[], env: Record<string, string> = {}) =>
  runHm(args, { cwd: home.path, env: { HOME: home.path, ...env } });
const sha256 = (path: string) => new Bun.CryptoHasher("sha256").update(readFileSync(path)).digest("hex");
afterAll(() => home.cleanup());

describe("hm plugin install / remove (local files)", () => {
  test("install validates, copies as <name>.<ext>, and remove deletes it", async () => {
    const installed = await hm(["plugin", "install", fixturePath("noop-executor")]);
    expect(installed.stderr).toBe("");
    expect(installed.exitCode).toBe(0);
    const target = join(pluginsDir, `harmont-fixture-noop.${LIBRARY_EXTENSION}`);
    expect(installed.stdout).toBe(`Installed plugin 'harmont-fixture-noop' 0.1.0 to ${target}\n`);
    expect(sha256(target)).toBe(sha256(fixturePath("noop-executor")));
    expect((await hm(["plugin", "list"])).stdout).toContain("runner:noop");

    const again = await hm(["plugin", "install", fixturePath("noop-executor")]);
    expect(again.exitCode).toBe(0); // reinstalling a plugin replaces it

    const removed = await hm(["plugin", "remove", "harmont-fixture-noop"]);
    expect(removed.exitCode).toBe(0);
    expect(removed.stdout).toBe(`Removed ${target}\n`);
    expect(existsSync(target)).toBe(false);
    const missing = await hm(["plugin", "remove", "harmont-fixture-noop"]);
    expect(missing.exitCode).toBe(2);
    expect(missing.stderr).toContain(`no plugin file at ${target}`);
  });

  test("remove refuses names that are paths", async () => {
    const result = await hm(["plugin", "remove", "../../victim"]);
    expect(result.exitCode).toBe(2);
    expect(result.stderr).toContain("'../../victim' is not a plugin name");
  });

  test("an invalid plugin is refused before anything is copied", async () => {
    for (const fixture of ["bad-api-version", "not-a-plugin", "rust-stabby-lookalike"] as const) {
      const result = await hm(["plugin", "install", fixturePath(fixture)]);
      expect(result.exitCode).toBe(5);
      expect(result.stderr).toContain("cannot be installed");
    }
    expect(existsSync(pluginsDir) ? readdirSync(pluginsDir) : []).toEqual([]);
  });

  test("a plugin that claims an installed plugin's runner, or a built-in command, is refused", async () => {
    const src = tempDir("hm-conflict-");
    try {
      const plugin = (name: string, capability: string) =>
        compilePlugin(
          src.path,
          name,
          `#define HM_PLUGIN_IMPLEMENTATION
#include "hm_plugin.h"
static const hm_capability caps[] = { ${capability} };
static const hm_manifest manifest = { .name = "${name}", .version = "1.0.0", .description = "x", .capabilities = caps, .capability_count = 1 };
static const hm_plugin_def def = { .manifest = &manifest };
HM_PLUGIN(def);`,
        );
      expect((await hm(["plugin", "install", fixturePath("noop-executor")])).exitCode).toBe(0);
      const rival = await hm([
        "plugin",
        "install",
        plugin("rival", `{.kind = HM_CAP_STEP_EXECUTOR, .as.step_executor = {.runner = "noop"}}`),
      ]);
      expect(rival.exitCode).toBe(5);
      expect(rival.stderr).toContain(
        "plugin conflict: both 'harmont-fixture-noop' and 'rival' claim 'runner:noop'",
      );
      const builtin = await hm([
        "plugin",
        "install",
        plugin("renders", `{.kind = HM_CAP_SUBCOMMAND, .as.subcommand = {.verb = "render", .about = "x"}}`),
      ]);
      expect(builtin.exitCode).toBe(5);
      expect(builtin.stderr).toContain("plugin conflict: both 'hm' (built-in) and 'renders' claim 'render'");
      expect(readdirSync(pluginsDir)).toEqual([`harmont-fixture-noop.${LIBRARY_EXTENSION}`]);
      await hm(["plugin", "remove", "harmont-fixture-noop"]);
    } finally {
      src.cleanup();
    }
  });

  test("plain http is refused; a missing file and a wrong pin are reported", async () => {
    const http = await hm(["plugin", "install", "http://example.invalid/p.so"]);
    expect([http.exitCode, http.stderr]).toEqual([
      2,
      "✘ plain http:// is not allowed; use https:// or a local file path\n",
    ]);
    const none = await hm(["plugin", "install", "/nonexistent/p.so"]);
    expect(none.stderr).toContain("no file at /nonexistent/p.so");
    const pinned = await hm(["plugin", "install", fixturePath("noop-executor"), "--pin", "0".repeat(64)]);
    expect(pinned.exitCode).toBe(2);
    expect(pinned.stderr).toContain(
      `SHA-256 mismatch: expected ${"0".repeat(64)}, downloaded ${sha256(fixturePath("noop-executor"))}`,
    );
  });
});

describe("hm plugin install over https", () => {
  const tls = tempDir("hm-tls-");
  let server: ReturnType<typeof Bun.serve> | undefined;
  let baseUrl = "";

  beforeAll(() => {
    const made = Bun.spawnSync(
      [
        "openssl",
        "req",
        "-x509",
        "-newkey",
        "rsa:2048",
        "-nodes",
        "-days",
        "1",
        "-keyout",
        join(tls.path, "key.pem"),
        "-out",
        join(tls.path, "cert.pem"),
        "-subj",
        "/CN=localhost",
        "-addext",
        "subjectAltName=DNS:localhost,IP:127.0.0.1",
      ],
      { stdout: "pipe", stderr: "pipe" },
    );
    if (made.exitCode !== 0) throw new Error(`openssl failed: ${made.stderr.toString()}`);
    server = Bun.serve({
      port: 0,
      hostname: "127.0.0.1",
      tls: { key: Bun.file(join(tls.path, "key.pem")), cert: Bun.file(join(tls.path, "cert.pem")) },
      fetch: (req) =>
        new URL(req.url).pathname === "/probe.so"
          ? new Response(Bun.file(fixturePath("host-fn-probe")))
          : new Response("no", { status: 404 }),
    });
    baseUrl = `https://localhost:${server.port}`;
  });
  afterAll(() => {
    server?.stop(true);
    tls.cleanup();
  });

  test("https needs --pin, and installs when the pin matches", async () => {
    const env = { NODE_EXTRA_CA_CERTS: join(tls.path, "cert.pem") };
    const unpinned = await hm(["plugin", "install", `${baseUrl}/probe.so`], env);
    expect([unpinned.exitCode, unpinned.stderr]).toEqual([
      2,
      "✘ --pin <sha256> is required for HTTPS sources\n",
    ]);
    const notFound = await hm(["plugin", "install", `${baseUrl}/missing.so`, "--pin", "a".repeat(64)], env);
    expect(notFound.stderr).toContain("HTTP 404");
    const ok = await hm(
      [
        "plugin",
        "install",
        `${baseUrl}/probe.so`,
        "--pin",
        sha256(fixturePath("host-fn-probe")).toUpperCase(),
      ],
      env,
    );
    expect(ok.stderr).toBe("");
    expect(ok.exitCode).toBe(0);
    expect(existsSync(join(pluginsDir, `harmont-fixture-probe.${LIBRARY_EXTENSION}`))).toBe(true);
    expect((await hm(["plugin", "remove", "harmont-fixture-probe"])).exitCode).toBe(0);
  });

  test("a certificate that is not trusted is refused", async () => {
    const result = await hm(["plugin", "install", `${baseUrl}/probe.so`, "--pin", "a".repeat(64)]);
    expect(result.exitCode).toBe(2);
    expect(result.stderr).toContain("could not download");
  });
});
