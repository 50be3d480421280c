#!/usr/bin/env python3
"""Checks that the workspace's crates depend on each other one way only.

    scripts/check-layers.py              # the workspace, from `cargo metadata`
    scripts/check-layers.py --self-test  # shows the check fails on a back-edge

Each crate of ours has a tier; a crate may depend (normal, build or dev) only on crates of
a lower tier. So coord <- spatial crates <- tiles <- api <- tests, and inside spatial/ the
core comes below the backends, the geocoder, the formats, the case service and the
imports. A crate of
ours missing from TIERS fails the check too, so a new crate must be placed on purpose.
"""

import json
import subprocess
import sys

# Lowest first. Crates of one tier must not depend on each other.
TIERS = [
    ["onemap-coord"],
    ["onemap-data", "onemap-workflow"],
    ["onemap-spatial"],
    ["onemap-store", "onemap-geocode"],
    ["onemap-formats", "onemap-cases"],
    ["onemap-intake"],
    ["onemap-tiles"],
    ["onemap-api"],
    ["onemap-e2e"],
]


def violations(packages):
    """Every dependency between crates of ours that does not point to a lower tier."""
    tier = {name: i for i, names in enumerate(TIERS) for name in names}
    ours = {p["name"] for p in packages}
    found = []
    for p in packages:
        if p["name"] not in tier:
            found.append(f"{p['name']} has no tier in scripts/check-layers.py")
            continue
        for d in p["dependencies"]:
            if d["name"] not in ours:
                continue
            if d["name"] not in tier:
                continue  # reported as a package of its own
            if tier[d["name"]] >= tier[p["name"]]:
                kind = d.get("kind") or "normal"
                found.append(
                    f"{p['name']} (tier {tier[p['name']]}) depends on {d['name']} "
                    f"(tier {tier[d['name']]}) as a {kind} dependency"
                )
    return found


def workspace_packages():
    out = subprocess.run(
        ["cargo", "metadata", "--format-version", "1", "--no-deps"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    return json.loads(out)["packages"]


def self_test(packages):
    """The real graph passes; the same graph with one back-edge added must not."""
    assert not violations(packages), "the workspace itself must pass before the self-test"
    core = next(p for p in packages if p["name"] == "onemap-spatial")
    core["dependencies"].append({"name": "onemap-tiles", "kind": None})
    found = violations(packages)
    assert found == [
        "onemap-spatial (tier 2) depends on onemap-tiles (tier 6) as a normal dependency"
    ], found
    packages.append({"name": "onemap-new", "dependencies": []})
    assert "onemap-new has no tier in scripts/check-layers.py" in violations(packages)
    print("check-layers self-test: a back-edge and an unplaced crate are both caught")


def main():
    packages = workspace_packages()
    if sys.argv[1:] == ["--self-test"]:
        self_test(packages)
        return 0
    found = violations(packages)
    for v in found:
        print(f"check-layers: {v}", file=sys.stderr)
    if found:
        return 1
    print(f"check-layers: {len(packages)} crates, every dependency points down")
    return 0


if __name__ == "__main__":
    sys.exit(main())
