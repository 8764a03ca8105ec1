#!/usr/bin/env bash
# Run by the handout's CI (.github/workflows/grade.yml, .gitlab-ci.yml) on the platform's own
# runners: grade, with the public checks, each assignment whose folder the push changed (every
# assignment when the commit before the push is unknown: a first push, a run started by hand),
# the way README.md says; print each report, keep it as reports/NAME.html, and fail when one
# scores under FAIL_UNDER percent (set by the instructor's `grade release --ci-fail-under`).
# Usage: bash ci/grade-pushed.sh [COMMIT_BEFORE_THE_PUSH]
set -u
before="${1:-}"
if [ -n "$before" ] && git cat-file -e "$before^{commit}" 2>/dev/null; then
  changed=$(git diff --name-only "$before" HEAD -- assignments | cut -d/ -f2 | sort -u)
else
  changed=$(ls public)
fi
mkdir -p reports
status=0
for name in $changed; do
  [ -f "public/$name/spec.json" ] || continue  # GLOSSARY.md, course.toml: no assignment
  .venv/bin/grade "$name" --fail-under "${FAIL_UNDER:-0}" || status=1
  .venv/bin/grade "$name" -o "reports/$name.html" || status=1
done
exit $status
