#!/usr/bin/env python3
"""Fails when a function in the given folders is longer than the limit (default 60 lines, the
signature included): long functions mixing parsing, computing and printing are split into named
steps. A brace-matching reader of the project's own style (clang-format'ed C++: a definition's
opening brace ends its signature line), not a C++ parser.

  check-function-length.py [--limit N] DIR..."""
import re
import sys
from pathlib import Path


def code_of(line):
    """The line without string and character literals and // comments (braces in them do not count)."""
    line = re.sub(r'"(\\.|[^"\\])*"', '""', line)
    line = re.sub(r"'(\\.|[^'\\])'", "''", line)
    return re.sub(r"//.*$", "", line)


def long_functions(path, limit):
    text = path.read_text()
    text = re.sub(r'R"\((.|\n)*?\)"', lambda m: '""' + "\n" * m.group(0).count("\n"), text)  # raw strings
    lines = [code_of(x) for x in text.split("\n")]
    i = 0
    while i < len(lines):
        if lines[i].rstrip().endswith("{"):
            start = i
            while start > 0 and lines[start - 1].strip() and not lines[start - 1].rstrip().endswith((";", "}", "{", ":")) \
                    and not lines[start - 1].lstrip().startswith("#"):
                start -= 1
            signature = " ".join(x.strip() for x in lines[start:i + 1])
            indent = len(lines[start]) - len(lines[start].lstrip())
            keyword = re.match(r"(namespace|struct|class|enum|extern|union|if|for|while|switch|else|return|case|do|"
                               r"template)\b", signature)
            if indent <= 2 and "(" in signature and not keyword and not re.search(r"=\s*\{$", signature):
                depth, end = 0, i
                while end < len(lines):
                    depth += lines[end].count("{") - lines[end].count("}")
                    if depth <= 0:
                        break
                    end += 1
                if end - start + 1 > limit:
                    yield start + 1, end - start + 1, signature[:80]
                i = end + 1
                continue
        i += 1


def main():
    args = sys.argv[1:]
    limit = 60
    if args[:1] == ["--limit"]:
        limit, args = int(args[1]), args[2:]
    found = 0
    for folder in args:
        for path in sorted(Path(folder).rglob("*.[ch]pp")):
            for line, length, signature in long_functions(path, limit):
                print("%s:%d: %d lines (limit %d): %s" % (path, line, length, limit, signature))
                found += 1
    print("%d functions over %d lines in %s" % (found, limit, ", ".join(args)))
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main())
