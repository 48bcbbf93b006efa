#!/usr/bin/env python3
"""House rules (architecture rules 11 and 12), checked on the source tree.

    house_check.py [--repo DIR] topics
        No topic name is typed as a string literal in services/, libs/ or tools/:
        topics are declared once in proto/ (option store.common.v1.topic) and
        code uses the generated constants of "store/topics.h".
    house_check.py [--repo DIR] tool-includes
        tools/ never include a service's app/, domain/ or store/ (nor a
        service's migrations): they use the API (gRPC, the protos).

Exit status 0 when the rule holds; otherwise each offending line is printed
as path:line: text.
"""
import argparse
import os
import re
import sys

CODE_SUFFIXES = (".cc", ".h", ".py", ".sh", ".cmake", ".txt", ".sql")
SCRIPTS = ("tools/dev",)
TOPIC_LITERAL = re.compile(r"""["'](store\.[a-z]+\.[a-z_]+\.v[0-9]+)""")
SERVICE_INTERNALS = re.compile(
    r'#include\s+"services/[a-z_]+/(app|domain|store)/|#include\s+"services/[a-z_]+/migrations\.h"')


def code_files(repo, roots):
    for root in roots:
        for dirpath, dirnames, filenames in os.walk(os.path.join(repo, root)):
            dirnames[:] = [d for d in dirnames if not d.startswith(".") and d != "node_modules"]
            for name in filenames:
                path = os.path.join(dirpath, name)
                rel = os.path.relpath(path, repo)
                if name.endswith(CODE_SUFFIXES) or rel in SCRIPTS:
                    yield rel, path


def offending_lines(repo, roots, pattern):
    found = []
    for rel, path in code_files(repo, roots):
        with open(path, encoding="utf-8", errors="replace") as f:
            for number, line in enumerate(f, 1):
                if pattern.search(line):
                    found.append(f"{rel}:{number}: {line.strip()}")
    return found


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("check", choices=["topics", "tool-includes"])
    parser.add_argument("--repo", default=os.path.normpath(os.path.join(here, "..", "..")))
    args = parser.parse_args()
    repo = os.path.abspath(args.repo)
    if args.check == "topics":
        found = offending_lines(repo, ["services", "libs", "tools"], TOPIC_LITERAL)
        rule = ("a topic name typed as a string literal: declare topics in proto/ "
                "(option store.common.v1.topic) and use the constants of \"store/topics.h\"")
    else:
        found = offending_lines(repo, ["tools"], SERVICE_INTERNALS)
        rule = ("a tool includes a service's internals: use the service's gRPC API and "
                "the protos (architecture rule 12)")
    if found:
        print(f"house.{args.check}: {len(found)} line(s) break the rule: {rule}")
        for line in found:
            print("  " + line)
        return 1
    print(f"house.{args.check}: ok")
    return 0


if __name__ == "__main__":
    sys.exit(main())
