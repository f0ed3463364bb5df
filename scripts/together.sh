#!/usr/bin/env bash
# Runs the named npm scripts at the same time and fails if any of them fails.
#
# `npm test` checks lint beside the type-check: eslint (~21 s of CPU) and tsc (~55 s) each keep one core busy,
# so on the 2-core CI machine the lint costs no wall time. Each script's output is held until it ends and then
# printed whole, under its name, so that the two logs do not interleave.
#
# Usage: bash scripts/together.sh lint typecheck
set -uo pipefail

if [ "$#" -eq 0 ]; then
  echo "usage: bash scripts/together.sh <npm script>..." >&2
  exit 2
fi

logs=$(mktemp -d)
trap 'rm -rf "$logs"' EXIT

names=("$@")
pids=()
for name in "${names[@]}"; do
  npm run "$name" >"$logs/$name" 2>&1 &
  pids+=("$!")
done

failed=0
for i in "${!pids[@]}"; do
  name=${names[$i]}
  if wait "${pids[$i]}"; then
    status=0
  else
    status=$?
    failed=1
  fi
  echo "== npm run $name: exit $status"
  cat "$logs/$name"
done
exit "$failed"
