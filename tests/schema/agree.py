#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""Check that the JSON Schemas and bulwarkc agree on a corpus of policy documents.

Usage:
    agree.py --compiler PATH/TO/bulwarkc --schema-dir DIR --corpus DIR
    agree.py --schema-only --schema-dir DIR --corpus DIR

The corpus holds CORPUS/valid/*.yaml and CORPUS/invalid/*.yaml (CORPUS/lib/ holds files that
cases extend and is not itself a case). The first line of every case is
`# expect: valid` or `# expect: invalid — <reason>`.

For each case:
  * the document is loaded with a YAML 1.2 core-schema loader (see CoreLoader) and validated
    against constraints.schema.json when `kind` is "constraints", else policy.schema.json;
  * unless --schema-only, `bulwarkc --check FILE` is run: exit 0 means valid, 1 invalid,
    anything else (or a crash, or a timeout) fails the case;
  * both verdicts must equal the `# expect:` line, which must agree with the directory.

Run with Debian's /usr/bin/python3 (python3-jsonschema >= 4.10, python3-yaml).
"""

import argparse
import json
import os
import re
import subprocess
import sys

import jsonschema
import yaml

MIN_CASES = 40
COMPILER_TIMEOUT = 60  # seconds


class CoreLoader(yaml.SafeLoader):
    """SafeLoader with YAML 1.2 core-schema implicit typing instead of YAML 1.1's.

    - booleans are only true/True/TRUE/false/False/FALSE (so off/on/yes/no stay strings);
    - null is null/Null/NULL or an empty value. A plain `~` stays the string "~": the language
      uses it as the home directory (`writable_within: [~, /srv/work]` in the spec), and in
      every other position a "~" string is rejected as firmly as a null would be;
    - integers are decimal, 0o octal or 0x hex (no YAML 1.1 sexagesimal, 0b, leading-0 octal
      or underscores); floats follow the core schema;
    - no timestamps, no `<<` merge keys, no `=` value key (they stay plain strings).
    """

    yaml_implicit_resolvers = {}


CoreLoader.add_implicit_resolver(
    "tag:yaml.org,2002:null", re.compile(r"^(?:null|Null|NULL|)$"), None)
CoreLoader.add_implicit_resolver(
    "tag:yaml.org,2002:bool", re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), None)
CoreLoader.add_implicit_resolver(
    "tag:yaml.org,2002:int", re.compile(r"^(?:[-+]?[0-9]+|0o[0-7]+|0x[0-9a-fA-F]+)$"), None)
CoreLoader.add_implicit_resolver(
    "tag:yaml.org,2002:float",
    re.compile(r"^(?:[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?"
               r"|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$"),
    None)


def _construct_core_int(loader, node):
    text = loader.construct_scalar(node)
    if text.startswith("0o"):
        return int(text[2:], 8)
    if text.startswith("0x"):
        return int(text[2:], 16)
    return int(text, 10)


def _construct_core_bool(loader, node):
    return loader.construct_scalar(node).lower() == "true"


CoreLoader.add_constructor("tag:yaml.org,2002:int", _construct_core_int)
CoreLoader.add_constructor("tag:yaml.org,2002:bool", _construct_core_bool)


EXPECT_RE = re.compile(r"^#\s*expect:\s*(valid|invalid)\b\s*(?:[-—–:]\s*(.*))?$")


def read_expectation(data):
    first = data.split(b"\n", 1)[0].decode("utf-8", "replace").rstrip("\r")
    m = EXPECT_RE.match(first)
    if not m:
        return None, None
    return m.group(1), (m.group(2) or "").strip()


def load_schemas(schema_dir):
    schemas = {}
    for kind, fn in (("policy", "policy.schema.json"), ("constraints", "constraints.schema.json")):
        path = os.path.join(schema_dir, fn)
        with open(path, encoding="utf-8") as f:
            schema = json.load(f)
        jsonschema.Draft202012Validator.check_schema(schema)
        schemas[kind] = jsonschema.Draft202012Validator(schema)
    return schemas


def describe_error(err):
    where = "".join(
        "[%d]" % p if isinstance(p, int) else ("." if i else "") + str(p)
        for i, p in enumerate(err.absolute_path)) or "(document)"
    return "%s: %s" % (where, err.message)


def schema_verdict(schemas, data):
    """Return (verdict, detail) for the document in data (bytes)."""
    try:
        text = data.decode("utf-8")
        doc = yaml.load(text, Loader=CoreLoader)
    except (UnicodeDecodeError, yaml.YAMLError) as e:
        return "invalid", "YAML load error: %s" % str(e).replace("\n", " ")
    kind = "constraints" if isinstance(doc, dict) and doc.get("kind") == "constraints" else "policy"
    validator = schemas[kind]
    errors = list(validator.iter_errors(doc))
    if not errors:
        return "valid", "%s schema" % kind
    best = jsonschema.exceptions.best_match(errors)
    return "invalid", "%s schema, %s" % (kind, describe_error(best))


def compiler_verdict(compiler, path):
    """Return (verdict or None on failure, detail)."""
    try:
        proc = subprocess.run([compiler, "--check", path], stdin=subprocess.DEVNULL,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                              timeout=COMPILER_TIMEOUT)
    except subprocess.TimeoutExpired:
        return None, "timed out after %ds" % COMPILER_TIMEOUT
    except OSError as e:
        return None, "cannot run compiler: %s" % e
    stderr = proc.stderr.decode("utf-8", "replace").strip()
    if proc.returncode == 0:
        return "valid", stderr
    if proc.returncode == 1:
        return "invalid", stderr
    if proc.returncode < 0:
        return None, "killed by signal %d: %s" % (-proc.returncode, stderr)
    return None, "exit status %d: %s" % (proc.returncode, stderr)


def short(text, limit=400):
    text = " | ".join(line for line in text.splitlines() if line.strip())
    return text if len(text) <= limit else text[:limit] + "..."


def collect_cases(corpus):
    cases = []
    for sub in ("valid", "invalid"):
        d = os.path.join(corpus, sub)
        if not os.path.isdir(d):
            continue
        for fn in sorted(os.listdir(d)):
            if fn.endswith((".yaml", ".yml")):
                cases.append((sub, fn, os.path.join(d, fn)))
    return cases


def protected_names_agree(schema_dir, compiler):
    """The protected defaults are listed in three places that must not drift: the compiler's table
    (libbulwark/protected.c), the schemas' protectedName enum and the agents' edit guard
    (contrib/agents/bulwark-hook). Every enum name a policy may drop by itself must compile in an
    `unprotect` list (the compiler knows it), a name outside it must not, and the hook must guard exactly the enum's
    names (case-folded; its one suffix glob, *.code-workspace, by its own rule). Returns problems."""
    problems = []
    enums = []
    for fn in ("policy.schema.json", "constraints.schema.json"):
        with open(os.path.join(schema_dir, fn), encoding="utf-8") as f:
            enums.append(json.load(f)["$defs"]["protectedName"]["enum"])
    if enums[0] != enums[1]:
        problems.append("policy and constraints schemas list different protected names")
    names = enums[0]
    hook = os.path.join(schema_dir, "..", "contrib", "agents", "bulwark-hook")
    with open(hook, encoding="utf-8") as f:
        text = f.read()
    block = re.search(r"^PROTECTED = \{(.*?)^\}", text, re.S | re.M)
    guarded = set(re.findall(r'"([^"]+)"', block.group(1))) if block else set()
    want = {n.lower() for n in names if "*" not in n}
    if guarded != want:
        problems.append("bulwark-hook guards %s, the schema lists %s" % (
            sorted(guarded - want), sorted(want - guarded)))
    if compiler:
        import tempfile
        with tempfile.TemporaryDirectory() as d:
            # .git and .bulwark need an admin's allow_unprotect: the others compile alone
            droppable = [n for n in names if n not in (".git", ".bulwark")]
            for listed, expect in ((droppable, 0), (["not-a-protected-name"], 1)):
                path = os.path.join(d, "p.yaml")
                with open(path, "w", encoding="utf-8") as f:
                    f.write("bulwark: 1\nfilesystem:\n  unprotect: [%s]\n" % ", ".join(
                        json.dumps(n) for n in listed))
                r = subprocess.run([compiler, "--check", path], capture_output=True,
                                   timeout=COMPILER_TIMEOUT)
                if r.returncode != expect:
                    problems.append("bulwarkc --check on unprotect %s exits %d, not %d" % (
                        "of every schema name" if expect == 0 else "of an unknown name",
                        r.returncode, expect))
    return problems


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--compiler", help="path to bulwarkc")
    ap.add_argument("--schema-dir", required=True, help="directory holding the *.schema.json files")
    ap.add_argument("--corpus", required=True, help="corpus directory (with valid/ and invalid/)")
    ap.add_argument("--schema-only", action="store_true", help="skip the compiler")
    args = ap.parse_args(argv)
    if not args.schema_only and not args.compiler:
        ap.error("--compiler is required unless --schema-only is given")

    try:
        schemas = load_schemas(args.schema_dir)
    except (OSError, ValueError, jsonschema.exceptions.SchemaError) as e:
        print("FAIL schema: %s" % str(e).splitlines()[0])
        print("0 passed, 1 failed")
        return 1

    passed = failed = 0
    cases = collect_cases(args.corpus)
    for sub, fn, path in cases:
        label = "%s/%s" % (sub, fn)
        with open(path, "rb") as f:
            data = f.read()
        expect, _reason = read_expectation(data)
        problems = []
        verdicts = []
        if expect is None:
            problems.append("first line is not '# expect: valid' or '# expect: invalid — <reason>'")
        elif expect != sub:
            problems.append("expects %s but lives in %s/" % (expect, sub))
        else:
            sverdict, sdetail = schema_verdict(schemas, data)
            verdicts.append("schema says %s (%s)" % (sverdict, sdetail))
            if sverdict != expect:
                problems.append("schema")
            if not args.schema_only:
                cverdict, cdetail = compiler_verdict(args.compiler, path)
                if cverdict is None:
                    verdicts.append("compiler failed (%s)" % short(cdetail))
                    problems.append("compiler")
                else:
                    verdicts.append("compiler says %s (%s)" % (cverdict, short(cdetail) or "no output"))
                    if cverdict != expect:
                        problems.append("compiler")
        if problems:
            failed += 1
            if verdicts:
                print("FAIL %s: %s; expected %s" % (label, ", ".join(verdicts), expect))
            else:
                print("FAIL %s: %s" % (label, "; ".join(problems)))
        else:
            passed += 1
            print("ok   %s" % label)

    for problem in protected_names_agree(args.schema_dir, None if args.schema_only else args.compiler):
        print("FAIL protected names: %s" % problem)
        failed += 1

    if len(cases) < MIN_CASES:
        print("FAIL corpus: %d cases, fewer than %d" % (len(cases), MIN_CASES))
        failed += 1
    print("%d passed, %d failed" % (passed, failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
