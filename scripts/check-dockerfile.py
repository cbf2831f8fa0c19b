#!/usr/bin/env python3
"""Static checks of the Dockerfile (no Docker daemon or hadolint here): stages, pinned base images, the static
Swift build, a minimal runtime, a non-root user and the entrypoint. Exits 1 naming every problem."""

import json
import re
import sys
from pathlib import Path

KNOWN = {"FROM", "RUN", "COPY", "ADD", "ARG", "ENV", "WORKDIR", "USER", "ENTRYPOINT", "CMD", "LABEL", "EXPOSE",
         "VOLUME", "STOPSIGNAL", "HEALTHCHECK", "SHELL", "ONBUILD"}


def instructions(text: str):
    """(line number, keyword, arguments) with continuation lines joined and comments dropped."""
    result, buffer, start = [], "", 0
    for number, line in enumerate(text.splitlines(), 1):
        stripped = line.strip()
        if not buffer and (not stripped or stripped.startswith("#")):
            continue
        if buffer and stripped.startswith("#"):
            continue
        if not buffer:
            start = number
        if stripped.endswith("\\"):
            buffer += stripped[:-1] + " "
            continue
        buffer += stripped
        keyword, _, args = buffer.partition(" ")
        result.append((start, keyword.upper(), args.strip()))
        buffer = ""
    if buffer:
        result.append((start, "<unterminated>", buffer))
    return result


def main(path: str) -> int:
    dockerfile = Path(path)
    problems = []
    items = instructions(dockerfile.read_text())
    args = {}
    stages = []  # [name, base, [instructions]]
    for line, keyword, rest in items:
        if keyword not in KNOWN:
            problems.append(f"{path}:{line}: unknown instruction {keyword}")
            continue
        if keyword == "ARG" and not stages:
            name, _, default = rest.partition("=")
            args[name] = default
            continue
        if keyword == "FROM":
            match = re.fullmatch(r"(\S+)(?:\s+AS\s+(\S+))?", rest, re.IGNORECASE)
            if not match:
                problems.append(f"{path}:{line}: FROM {rest}: expected IMAGE [AS NAME]")
                continue
            base = re.sub(r"\$\{(\w+)\}", lambda m: args.get(m.group(1), ""), match.group(1))
            if ":" not in base.split("/")[-1] and "@" not in base:
                problems.append(f"{path}:{line}: base image {base} has no tag: pin one")
            if base.endswith(":latest"):
                problems.append(f"{path}:{line}: base image {base} uses latest: pin a version")
            stages.append([match.group(2), base, []])
            continue
        if not stages:
            problems.append(f"{path}:{line}: {keyword} before the first FROM")
            continue
        stages[-1][2].append((line, keyword, rest))

    if len(stages) < 2:
        problems.append(f"{path}: expected a multi-stage build (build + runtime), found {len(stages)} stage(s)")
    else:
        build, runtime = stages[0], stages[-1]
        if not build[1].startswith("swift:6."):
            problems.append(f"{path}: the build stage should use a Swift 6.x image, not {build[1]}")
        if not runtime[1].startswith("debian:bookworm-slim"):
            problems.append(f"{path}: the runtime stage should use debian:bookworm-slim, not {runtime[1]}")
        runs = " ".join(rest for _, keyword, rest in build[2] if keyword == "RUN")
        for needed in ("swift build -c release --static-swift-stdlib --product lbd", "libpcap-dev"):
            if needed not in runs:
                problems.append(f"{path}: the build stage does not run `{needed}`")
        for _, keyword, rest in build[2] + runtime[2]:
            if keyword == "RUN" and "apt-get install" in rest:
                if "--no-install-recommends" not in rest:
                    problems.append(f"{path}: apt-get install without --no-install-recommends: {rest[:60]}")
                if "rm -rf /var/lib/apt/lists" not in rest:
                    problems.append(f"{path}: apt lists are not removed in the same RUN: {rest[:60]}")
        installed = set()
        for _, keyword, rest in runtime[2]:
            if keyword == "RUN":
                for match in re.finditer(r"apt-get install ([^&;|]*)", rest):
                    installed |= {w for w in match.group(1).split() if not w.startswith("-")}
        if installed != {"libpcap0.8", "ca-certificates"}:
            problems.append(f"{path}: the runtime stage should install only libpcap0.8 and ca-certificates, "
                            f"installs {sorted(installed)}")
        copies = [rest for _, keyword, rest in runtime[2] if keyword == "COPY"]
        if not any(re.fullmatch(rf"--from={build[0]}\s+\S+\s+/usr/local/bin/lbd", c) for c in copies):
            problems.append(f"{path}: the runtime stage does not copy the binary from '{build[0]}' to "
                            "/usr/local/bin/lbd")
        users = [rest for _, keyword, rest in runtime[2] if keyword == "USER"]
        if not users:
            problems.append(f"{path}: the runtime stage sets no USER (it would run as root)")
        else:
            user = users[-1].split(":")[0]
            if not user.isdigit() or int(user) == 0:
                problems.append(f"{path}: the final USER must be a numeric non-root uid (runAsNonRoot checks "
                                f"numbers), is {users[-1]}")
            elif int(user) != 65532:
                problems.append(f"{path}: the final USER should be 65532, is {user}")
        entrypoints = [rest for _, keyword, rest in runtime[2] if keyword == "ENTRYPOINT"]
        try:
            entrypoint = json.loads(entrypoints[-1]) if entrypoints else None
        except json.JSONDecodeError:
            entrypoint = "shell form"
        if entrypoint != ["lbd", "run"]:
            problems.append(f'{path}: ENTRYPOINT should be the exec form ["lbd", "run"], is {entrypoint}')
        if any(keyword == "ADD" for _, keyword, _ in build[2] + runtime[2]):
            problems.append(f"{path}: use COPY, not ADD")

    ignore = dockerfile.with_name(".dockerignore")
    patterns = ignore.read_text().split() if ignore.exists() else []
    for needed in (".build", ".git"):
        if needed not in patterns:
            problems.append(f"{ignore}: should exclude {needed}")

    for problem in problems:
        print(problem, file=sys.stderr)
    if problems:
        print(f"check-dockerfile: {len(problems)} problem(s)", file=sys.stderr)
        return 1
    print(f"ok: {path}: {len(stages)} stages, pinned bases, static Swift build, minimal non-root runtime")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1] if len(sys.argv) > 1 else "Dockerfile"))
