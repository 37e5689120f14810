# concurrency.sh: runs started together on one module take turns: one of them makes the change,
# the others see it made, and no run reports a change it did not make.
. "$(dirname "$0")/../lib/tap.sh"

# The name a file has in the store under --root ROOT: its path inside the root.
inside() { local r; r=$(realpath "$1"); realpath "$2" | sed "s|^$r||"; }

ORIG=$FIXTURES/bucardo-5.6.pm
PATCHED=$FIXTURES/expected/bucardo-5.6.pm
N=16

# changed FILE: "true" or "false", what a --json report says.
changed() { python3 -c 'import json,sys; print(str(json.load(open(sys.argv[1]))["changed"]).lower())' "$1" 2>/dev/null; }

# events ROOT: the actions the history lists, newest first.
events() {
	"$BA" --root "$1" --json history |
		python3 -c 'import json,sys; print(" ".join(e["action"] for e in json.load(sys.stdin)["events"]))'
}

# count WORD LIST: how many times WORD is in LIST.
count() { local w=$1 n=0 x; shift; for x in $*; do [ "$x" = "$w" ] && n=$((n + 1)); done; echo "$n"; }

# Sixteen applies at once on one pristine copy.
root=$T/many
pm=$(sandbox "$ORIG" "$root")
state=$root/var/lib/bucardo-aiven
pids=()
for i in $(seq $N); do
	"$BA" --root "$root" --json --lock-timeout 60 apply --no-perl-check "$pm" \
		>"$T/many.$i.out" 2>"$T/many.$i.err" &
	pids+=($!)
done
ok=0 yes=0
for i in $(seq $N); do
	wait "${pids[$((i - 1))]}" && ok=$((ok + 1))
	[ "$(changed "$T/many.$i.out")" = true ] && yes=$((yes + 1))
done
check "$N applies at once: all exit 0 ($ok)" test "$ok" = $N
check "$N applies at once: exactly one reports changed ($yes)" test "$yes" = 1
same_file "$pm" "$PATCHED" "$N applies at once: the file is the patched one"
check "$N applies at once: exactly one apply in the history" test "$(events "$root")" = apply
check "$N applies at once: exactly one gzip copy" \
	test "$(find "$state/originals" -name '*.gz' | wc -l)" = 1
check "$N applies at once: no temporary file left" \
	test -z "$(find "$(dirname "$pm")" -name '.Bucardo.pm.bucardo-aiven.*')"
check "$N applies at once: store.git passes git fsck" \
	git --git-dir="$state/store.git" fsck --no-dangling --no-progress
check "$N applies at once: the watchlist lists the file once" \
	test "$(cut -f1 "$state/watchlist" | grep -cxF "$(inside "$root" "$pm")")" = 1

# A revert and an apply started together, ten times, from the original (after an apply and a
# revert) and from the patched file in turn. Whatever order the lock gives them, the file is
# whole, the history's last action is the file's state, and every commit is a run's reported
# change.
for i in $(seq 10); do
	root=$T/race$i
	pm=$(sandbox "$ORIG" "$root")
	"$BA" --root "$root" -q apply --no-perl-check "$pm"
	if [ $((i % 2)) = 1 ]; then
		"$BA" --root "$root" -q revert "$pm"
		start=original
	else
		start=patched
	fi
	before=$(events "$root")
	"$BA" --root "$root" --json --lock-timeout 60 apply --no-perl-check "$pm" \
		>"$T/race.apply" 2>"$T/race.apply.err" &
	a=$!
	"$BA" --root "$root" --json --lock-timeout 60 revert "$pm" \
		>"$T/race.revert" 2>"$T/race.revert.err" &
	r=$!
	wait $a; arc=$?
	wait $r; rrc=$?
	name="race $i (from $start)"
	check "$name: apply and revert both exit 0 ($arc, $rrc)" test "$arc/$rrc" = 0/0
	after=$(events "$root")
	last=${after%% *}
	if cmp -s "$pm" "$PATCHED"; then now=apply
	elif cmp -s "$pm" "$ORIG"; then now=revert
	else now=torn; fi
	check "$name: the file is the original or the patched one ($now)" test "$now" != torn
	check "$name: the history's last action ($last) is the file's state" test "$last" = "$now"
	new_applies=$(( $(count apply $after) - $(count apply $before) ))
	new_reverts=$(( $(count revert $after) - $(count revert $before) ))
	said_apply=$( [ "$(changed "$T/race.apply")" = true ] && echo 1 || echo 0)
	said_revert=$( [ "$(changed "$T/race.revert")" = true ] && echo 1 || echo 0)
	check "$name: the changes reported ($said_apply apply, $said_revert revert) are the ones recorded ($new_applies, $new_reverts)" \
		test "$said_apply/$said_revert" = "$new_applies/$new_reverts"
	if [ "$now" = apply ]; then
		check "$name: the watchlist keeps the patched file" \
			sh -c "cut -f1 '$root/var/lib/bucardo-aiven/watchlist' | grep -qxF '$(inside "$root" "$pm")'"
	else
		check "$name: the watchlist does not keep the original" \
			sh -c "! cut -f1 '$root/var/lib/bucardo-aiven/watchlist' 2>/dev/null | grep -qxF '$(inside "$root" "$pm")'"
	fi
done

done_testing
