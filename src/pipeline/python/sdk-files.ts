/**
 * The Python SDK and its evaluator, as text inside hm (the compiled binary
 * too): sdk-directory.ts writes them to hm's cache directory for python3.
 * Every file under sdk/ must be listed here
 * (test/pipeline/python/sdk-files.test.ts checks).
 */
import file0 from "./evaluate.py" with { type: "text" };
import file1 from "./sdk/harmont/__init__.py" with { type: "text" };
import file2 from "./sdk/harmont/_cargo.py" with { type: "text" };
import file3 from "./sdk/harmont/_cmake.py" with { type: "text" };
import file4 from "./sdk/harmont/_decorator.py" with { type: "text" };
import file5 from "./sdk/harmont/_deps.py" with { type: "text" };
import file6 from "./sdk/harmont/_detect.py" with { type: "text" };
import file7 from "./sdk/harmont/_duration.py" with { type: "text" };
import file8 from "./sdk/harmont/_elixir.py" with { type: "text" };
import file9 from "./sdk/harmont/_envelope.py" with { type: "text" };
import file10 from "./sdk/harmont/_go.py" with { type: "text" };
import file11 from "./sdk/harmont/_install_marks.py" with { type: "text" };
import file12 from "./sdk/harmont/_js.py" with { type: "text" };
import file13 from "./sdk/harmont/_keys.py" with { type: "text" };
import file14 from "./sdk/harmont/_pipeline.py" with { type: "text" };
import file15 from "./sdk/harmont/_python.py" with { type: "text" };
import file16 from "./sdk/harmont/_registry.py" with { type: "text" };
import file17 from "./sdk/harmont/_rust.py" with { type: "text" };
import file18 from "./sdk/harmont/_step.py" with { type: "text" };
import file19 from "./sdk/harmont/_target.py" with { type: "text" };
import file20 from "./sdk/harmont/_toolchain.py" with { type: "text" };
import file21 from "./sdk/harmont/_typing.py" with { type: "text" };
import file22 from "./sdk/harmont/_unwrap.py" with { type: "text" };
import file23 from "./sdk/harmont/_zig.py" with { type: "text" };
import file24 from "./sdk/harmont/cache.py" with { type: "text" };
import file25 from "./sdk/harmont/json_emit.py" with { type: "text" };
import file26 from "./sdk/harmont/keygen.py" with { type: "text" };
import file27 from "./sdk/harmont/py/__init__.py" with { type: "text" };
import file28 from "./sdk/harmont/py/uv.py" with { type: "text" };
import file29 from "./sdk/harmont/triggers.py" with { type: "text" };
import file30 from "./sdk/harmont/types.py" with { type: "text" };
import file31 from "./sdk/hm/__init__.py" with { type: "text" };

/** Relative path → content. `evaluate.py` is the entry point; `harmont/` and `hm/` are the SDK. */
export const PYTHON_FILES: Readonly<Record<string, string>> = {
  "evaluate.py": file0,
  "harmont/__init__.py": file1,
  "harmont/_cargo.py": file2,
  "harmont/_cmake.py": file3,
  "harmont/_decorator.py": file4,
  "harmont/_deps.py": file5,
  "harmont/_detect.py": file6,
  "harmont/_duration.py": file7,
  "harmont/_elixir.py": file8,
  "harmont/_envelope.py": file9,
  "harmont/_go.py": file10,
  "harmont/_install_marks.py": file11,
  "harmont/_js.py": file12,
  "harmont/_keys.py": file13,
  "harmont/_pipeline.py": file14,
  "harmont/_python.py": file15,
  "harmont/_registry.py": file16,
  "harmont/_rust.py": file17,
  "harmont/_step.py": file18,
  "harmont/_target.py": file19,
  "harmont/_toolchain.py": file20,
  "harmont/_typing.py": file21,
  "harmont/_unwrap.py": file22,
  "harmont/_zig.py": file23,
  "harmont/cache.py": file24,
  "harmont/json_emit.py": file25,
  "harmont/keygen.py": file26,
  "harmont/py/__init__.py": file27,
  "harmont/py/uv.py": file28,
  "harmont/triggers.py": file29,
  "harmont/types.py": file30,
  "hm/__init__.py": file31,
};
