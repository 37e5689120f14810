# history.sh: the store records each change, readable with git, restorable with zcat.
. "$(dirname "$0")/../lib/tap.sh"

root=$T/root
pm=$(sandbox "$FIXTURES/bucardo-5.6.pm" "$root")
state=$root/var/lib/bucardo-aiven

run_ba --root "$root" history
expect_rc 0 "history with no store exits 0"

run_ba --root "$root" apply "$pm"
run_ba --root "$root" revert "$pm"
run_ba --root "$root" apply "$pm"

run_ba --root "$root" history
expect_rc 0 "history exits 0"
# Under --root the store names files by their path inside the root, as dpkg
# --root does: the state stays true when the tree is booted.
inside=/usr/share/perl5/Bucardo.pm
check "history lists three actions" test "$(printf '%s\n' "$out" | grep -c " $inside ")" = 3
check "and names the file by its path inside the root" sh -c "! printf '%s' \"\$1\" | grep -q '$root'" sh "$out"
first=$(printf '%s\n' "$out" | head -n 1)
contains "$first" "apply" "newest first: the last apply on top"
contains "$out" "revert" "the revert is listed"
contains "$out" "5.6.0" "the Bucardo version is listed"

run_ba --root "$root" history "$pm"
check "history FILE lists that file's actions" test "$(printf '%s\n' "$out" | grep -c " $inside ")" = 3
run_ba --root "$root" history "$T/elsewhere.pm"
check "history of another file lists nothing" test "$(printf '%s\n' "$out" | grep -c " $inside ")" = 0

log=$(git --git-dir="$state/store.git" log --format=%B)
contains "$log" "Action: apply" "git log shows the action"
contains "$log" "Path: $inside" "git log shows the path inside the root"
contains "$log" "Bucardo-Version: 5.6.0" "git log shows the Bucardo version"
contains "$log" "Tool-Version: bucardo-aiven" "git log shows the tool's version"
before=$(git --git-dir="$state/store.git" log -1 --format=%B --grep='Action: apply' | sed -n 's/^Before: //p' | head -n 1)
check "the Before blob in git is the original" sh -c "git --git-dir='$state/store.git' cat-file blob '$before' | cmp - '$FIXTURES/bucardo-5.6.pm'"
check "git fsck finds the store sound" git --git-dir="$state/store.git" fsck --no-progress

gz=$(find "$state/originals" -name '*.gz')
check "the gzip copy is named by the path inside the root" test -f "$(printf '%s' "$gz" | head -n 1)" -a "${gz#$state/originals/usr/share/perl5/Bucardo.pm.}" != "$gz"
check "exactly one gzip copy of the original (not one per run)" test "$(printf '%s\n' "$gz" | wc -l)" = 1
check "zcat alone restores the original" sh -c "zcat '$gz' | cmp - '$FIXTURES/bucardo-5.6.pm'"
check "the state directory is private (0700)" test "$(stat -c %a "$state")" = 700

run_ba --root "$root" --json history
check "history --json is valid JSON with three events" python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); assert len(d["events"]) == 3, d; assert d["events"][0]["action"] == "apply"' "$T/.out"

done_testing
