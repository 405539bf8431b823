import { afterAll, expect, test } from "bun:test";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { HmError } from "../../src/errors.ts";
import { MASK, maskedError, maskedForms, secretMask } from "../../src/run/secrets/mask.ts";
import { readSecrets } from "../../src/run/secrets/sources.ts";
import { tempDir } from "../helpers/hm.ts";

const scratch = tempDir("hm-secrets-");
afterAll(() => scratch.cleanup());

const VALUE = "s3cr3t-Value/+?&é";

test("masks every occurrence of a value, however many on a line", () => {
  const mask = secretMask([VALUE]);
  expect(mask.text(`a ${VALUE} b ${VALUE}${VALUE}`)).toBe(`a ${MASK} b ${MASK}${MASK}`);
  expect(mask.text("nothing here")).toBe("nothing here");
});

test("masks the value JSON-escaped and URL-encoded", () => {
  const quoted = 'pa"ss\\word';
  const mask = secretMask([quoted]);
  expect(mask.text(JSON.stringify({ token: quoted }))).toBe(`{"token":"${MASK}"}`);
  expect(secretMask([VALUE]).text(`https://x/?t=${encodeURIComponent(VALUE)}&a=1`)).toBe(
    `https://x/?t=${MASK}&a=1`,
  );
});

test("masks the value base64-encoded inside a longer text, at each byte alignment", () => {
  const mask = secretMask([VALUE]);
  for (const prefix of ["", "u", "us", "user:", "user:x"]) {
    for (const suffix of ["", "!", "!!"]) {
      const encoded = Buffer.from(`${prefix}${VALUE}${suffix}`).toString("base64");
      const masked = mask.text(encoded);
      expect(masked).toContain(MASK);
      // What is left is only the characters that also depend on the bytes around the value.
      expect(masked.replace(MASK, "").length).toBeLessThanOrEqual(
        Math.ceil(((prefix.length + 2) * 4) / 3) + Math.ceil(((suffix.length + 2) * 4) / 3) + 2,
      );
    }
  }
});

test("masks each line of a multi-line value, but not lines too short to mask", () => {
  const mask = secretMask(["-----BEGIN KEY-----\nMIIEvQIBADANBg\nx\n-----END KEY-----"]);
  expect(mask.text("MIIEvQIBADANBg")).toBe(MASK);
  expect(mask.text("-----END KEY-----")).toBe(MASK);
  expect(mask.text("x marks")).toBe("x marks");
});

test("a longer secret is masked whole, not as a shorter one inside it", () => {
  const mask = secretMask(["abcd", "abcdefgh"]);
  expect(mask.text("abcdefgh abcd")).toBe(`${MASK} ${MASK}`);
});

test("no secrets (or only empty ones): nothing is masked, events are passed as they are", () => {
  const mask = secretMask([""]);
  expect(mask.active).toBe(false);
  const event = { kind: "step_log", step_id: "s", stream: "stdout", line: "***x", ts: 1 } as const;
  expect(mask.event(event)).toBe(event);
  expect(maskedForms("abc")).toEqual([]);
});

test("an event has every string in it masked, nested ones too", () => {
  const mask = secretMask([VALUE]);
  expect(
    mask.event({
      kind: "build_start",
      run_id: "r",
      plan: { step_count: 1, chain_count: 1, default_runner: `x${VALUE}` },
      started_at: 5,
    }),
  ).toEqual({
    kind: "build_start",
    run_id: "r",
    plan: { step_count: 1, chain_count: 1, default_runner: `x${MASK}` },
    started_at: 5,
  });
});

test("an error is printed masked; a cause that shows the value is dropped", () => {
  const mask = secretMask([VALUE]);
  const cause = new Error(`engine said ${VALUE}`);
  const error = maskedError(new HmError("E_INTERNAL", `failed: ${VALUE}`, { hint: VALUE, cause }), mask);
  expect(error.message).toBe(`failed: ${MASK}`);
  expect(error.hint).toBe(MASK);
  expect(error.cause).toBeUndefined();
  expect(error.code).toBe("E_INTERNAL");
});

function usageError(run: () => unknown): HmError {
  try {
    run();
  } catch (error) {
    if (error instanceof HmError) {
      expect(error.exitCode).toBe(2);
      return error;
    }
    throw error;
  }
  throw new Error("expected an HmError");
}

test("--secret NAME takes the value from the environment; a missing one is named", () => {
  expect(readSecrets([{ kind: "name", name: "TOKEN" }], { TOKEN: "abcdef" })).toEqual({
    values: { TOKEN: "abcdef" },
    files: [],
  });
  const error = usageError(() => readSecrets([{ kind: "name", name: "TOKEN" }], {}));
  expect(error.message).toBe("--secret TOKEN: TOKEN is not set in hm's environment");
  expect(usageError(() => readSecrets([{ kind: "name", name: "A=b" }], {})).message).toContain(
    "expected a variable name",
  );
});

test("a secrets file: comments, blank lines, export, quotes and CRLF; a later source wins", () => {
  const path = join(scratch.path, "ok.env");
  writeFileSync(
    path,
    [
      "# deploy credentials",
      "",
      "TOKEN=abc=def ",
      "export USER_NAME = 'it''s'",
      "  # indented comment",
      'KEY="line-one\\nline-two \\"q\\""\r',
      "EMPTY=",
      "",
    ].join("\n"),
  );
  expect(readSecrets([{ kind: "file", path }], {})).toEqual({
    files: [path],
    values: {
      TOKEN: "abc=def",
      USER_NAME: "it''s",
      KEY: 'line-one\nline-two "q"',
      EMPTY: "",
    },
  });
  expect(
    readSecrets(
      [
        { kind: "file", path },
        { kind: "name", name: "TOKEN" },
      ],
      { TOKEN: "from-env" },
    ).values.TOKEN,
  ).toBe("from-env");
});

test("a bad line in a secrets file is named by file and line, without its text", () => {
  const path = join(scratch.path, "bad.env");
  writeFileSync(path, "# ok\nGOOD=value1\nnot a pair hunter22\n");
  const error = usageError(() => readSecrets([{ kind: "file", path }], {}));
  expect(error.message).toBe(`${path}:3: expected NAME=value`);
  expect(`${error.message}${error.hint}`).not.toContain("hunter22");
  writeFileSync(path, 'A="open\n');
  expect(usageError(() => readSecrets([{ kind: "file", path }], {})).message).toBe(
    `${path}:1: the value's closing " is missing`,
  );
  const missing = join(scratch.path, "nope.env");
  expect(usageError(() => readSecrets([{ kind: "file", path: missing }], {})).message).toStartWith(
    `--secret-file ${missing}: cannot read it`,
  );
});

test("a value of 1 to 3 characters is refused: masking it would hide ordinary text", () => {
  const error = usageError(() => readSecrets([{ kind: "name", name: "PIN" }], { PIN: "123" }));
  expect(error.message).toBe("--secret PIN: the value is 3 characters long, too short to mask");
  const path = join(scratch.path, "short.env");
  writeFileSync(path, "OK=long-enough\nX=ab\n");
  expect(usageError(() => readSecrets([{ kind: "file", path }], {})).message).toBe(
    `${path}:2: X: the value is 2 characters long, too short to mask`,
  );
  expect(readSecrets([{ kind: "name", name: "E" }], { E: "" }).values).toEqual({ E: "" });
});
