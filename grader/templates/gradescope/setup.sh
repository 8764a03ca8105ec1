#!/usr/bin/env bash
# Gradescope runs this once, as root, when it builds the autograder's image, with the bundle
# unpacked in /autograder/source (https://gradescope-autograders.readthedocs.io/en/latest/specs/).
# It installs the grader with torch @TORCH@ (CPU) in a venv of its own, and closes the course
# (the reference solutions, the secret seed) to every other user: where the jail cannot be built,
# student code runs as one of them (GRADER_ISOLATION=user, see run_autograder).
set -eu
ROOT="${AUTOGRADER_ROOT:-/autograder}"
apt-get update -q
apt-get install -y -q python3 python3-venv libseccomp2
python3 -m venv "$ROOT/venv"
"$ROOT/venv/bin/pip" install -q "torch==@TORCH@" --index-url https://download.pytorch.org/whl/cpu
"$ROOT/venv/bin/pip" install -q "$ROOT/source"
chmod -R go-rwx "$ROOT/source"
