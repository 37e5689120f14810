# rpm.sh: packaging/rpm builds with this host's rpmbuild; its file trigger re-patches Bucardo.pm and never fails a transaction.
#
# Everything happens below $T: the build (_topdir, _tmppath, the rpm
# database), the sandbox roots, and a chroot that rpm installs into with its
# own database. Nothing is installed on this machine.
. "$(dirname "$0")/../lib/tap.sh"

started=$(date +%s)
SRCDIR=${SRCDIR:-$(cd "$(dirname "$0")/../.." && pwd)}
spec=$SRCDIR/packaging/rpm/bucardo-aiven.spec

if [ -n "${RPM_BUILD_ROOT:-}" ]; then
	echo "1..0 # SKIP run inside rpmbuild, which this test itself runs"
	exit 0
fi
if ! command -v rpmbuild >/dev/null 2>&1; then
	echo "1..0 # SKIP rpmbuild not found (on Debian: apt-get install rpm)"
	exit 0
fi

mkdir -p "$T/rpmbuild/SOURCES" "$T/tmp" "$T/rpmdb" "$T/bin"
# rpm's own files stay below $T: Debian's rpm would otherwise create ~/.rpmdb.
RPM="rpm --dbpath $T/rpmdb"

# Fedora's %meson macros come from its meson package; Debian's rpm has none.
# Define the ones this spec uses, as Fedora's macros.meson spells them, when
# this rpm lacks them; likewise the Fedora value of %_sharedstatedir.
defs=(--define "_topdir $T/rpmbuild" --define "_tmppath $T/tmp" --define "_dbpath $T/rpmdb")
fallback() {
	if [ "$(rpm --eval "%{?$1:defined}")" != defined ]; then defs+=(--define "$1 $2"); fi
}
fallback __meson "$(command -v meson || echo /usr/bin/meson)"
fallback _vpath_srcdir .
fallback _vpath_builddir '%{_vendor}-%{_target_os}-build'
fallback meson '%{__meson} setup --buildtype=plain --prefix=%{_prefix} --libdir=%{_libdir} --libexecdir=%{_libexecdir} --bindir=%{_bindir} --sbindir=%{_sbindir} --includedir=%{_includedir} --datadir=%{_datadir} --mandir=%{_mandir} --infodir=%{_infodir} --localedir=%{_datadir}/locale --sysconfdir=%{_sysconfdir} --localstatedir=%{_localstatedir} --sharedstatedir=%{_sharedstatedir} --wrap-mode=nodownload %{_vpath_srcdir} %{_vpath_builddir}'
fallback meson_build '%{__meson} compile -C %{_vpath_builddir} -j %{_smp_build_ncpus} --verbose'
fallback meson_install 'DESTDIR=%{buildroot} %{__meson} install -C %{_vpath_builddir} --no-rebuild'
fallback meson_test '%{__meson} test -C %{_vpath_builddir} --num-processes %{_smp_build_ncpus} --print-errorlogs'
[ "$(rpm --eval '%{_sharedstatedir}')" = /var/lib ] || defs+=(--define "_sharedstatedir /var/lib")

# --- The spec -----------------------------------------------------------

check "rpmspec parses the spec" rpmspec "${defs[@]}" -P "$spec"
version=$(rpmspec "${defs[@]}" -q --srpm --qf '%{VERSION}' "$spec" 2>/dev/null)
meson_version=$(sed -n "s/^  version: '\([^']*\)',$/\1/p" "$SRCDIR/meson.build")
check "the spec's Version is meson.build's ($meson_version)" test -n "$version" -a "$version" = "$meson_version"
check "the spec has a %changelog entry for $version" \
	grep -q "^\* .* - $version-" "$spec"

# Where the package comes from: a URL, and a Source0 that is one too, whose
# file name is the tarball this test (and rpmbuild) finds in SOURCES.
url=$(rpmspec "${defs[@]}" -q --srpm --qf '%{URL}' "$spec" 2>/dev/null)
check "the spec has a URL ($url)" sh -c "printf '%s\n' '$url' | grep -Eqx 'https://[^ /]+/[^ ]+'"
source0=$(rpmspec "${defs[@]}" -P "$spec" 2>/dev/null | sed -n 's/^Source0:[[:space:]]*//p')
check "Source0 is a URL below it ($source0)" \
	sh -c "case '$source0' in '$url'/*) ;; *) exit 1 ;; esac"
check "Source0's file is bucardo-aiven-$version.tar.gz" test "${source0##*/}" = "bucardo-aiven-$version.tar.gz"

# The bash completion goes to %{bash_completions_dir}, which the spec
# defines only where rpm does not.
check "%files names the completion in %{bash_completions_dir}" \
	grep -qx '%{bash_completions_dir}/%{name}' "$spec"
check "with rpm's default, that is /usr/share/bash-completion/completions" \
	sh -c "rpmspec \"\$@\" -P '$spec' | grep -qx /usr/share/bash-completion/completions/bucardo-aiven" sh "${defs[@]}"
check "where rpm defines the macro, the spec keeps its value" \
	sh -c "rpmspec \"\$@\" --define 'bash_completions_dir /usr/share/elsewhere' -P '$spec' |
	       grep -qx /usr/share/elsewhere/bucardo-aiven" sh "${defs[@]}"

# The source tarball: what git tracks, plus new files not ignored, as they
# are in the work tree (what `meson dist` would pack once committed).
name=bucardo-aiven-$version
mkdir -p "$T/stage/$name"
if git -C "$SRCDIR" rev-parse --git-dir >/dev/null 2>&1; then
	(cd "$SRCDIR" && git ls-files -z --cached --others --exclude-standard |
		while IFS= read -r -d '' f; do [ -e "$f" ] && printf '%s\0' "$f"; done |
		tar --null -T - -cf -) | tar -C "$T/stage/$name" -xf -
else
	tar -C "$SRCDIR" --exclude='./build*' --exclude=./.git -cf - . | tar -C "$T/stage/$name" -xf -
fi
tar -C "$T/stage" -czf "$T/rpmbuild/SOURCES/$name.tar.gz" "$name"
check "the source tarball holds meson.build and the spec" \
	sh -c "tar -tzf '$T/rpmbuild/SOURCES/$name.tar.gz' | grep -qx '$name/meson.build' &&
	       tar -tzf '$T/rpmbuild/SOURCES/$name.tar.gz' | grep -qx '$name/packaging/rpm/bucardo-aiven.spec'"

# --- The build ----------------------------------------------------------

build_started=$(date +%s)
if rpmbuild "${defs[@]}" -bb --nodeps "$spec" >"$T/build.log" 2>&1; then
	pass "rpmbuild -bb builds the package ($(($(date +%s) - build_started)) s, %check included)"
else
	fail "rpmbuild -bb builds the package" "$(tail -40 "$T/build.log")"
	done_testing
	exit
fi
rpmfile=$(find "$T/rpmbuild/RPMS" -name "$name-*.rpm" | head -n 1)
check "one binary rpm was written" test -f "$rpmfile"
contains "$(grep -E '^(Ok|Fail):' "$T/build.log" | tr -s ' ')" "Fail: 0" "%check ran the unit tests and none failed"

files=$($RPM -qp --qf '[%{FILEMODES:perms} %{FILEUSERNAME}:%{FILEGROUPNAME} %{FILENAMES}\n]' "$rpmfile")
contains "$files" " /usr/sbin/bucardo-aiven" "the package ships /usr/sbin/bucardo-aiven"
contains "$files" "-rwxr-xr-x root:root /usr/sbin/bucardo-aiven" "executable, owned by root"
check "the package ships the man page in man8" sh -c "printf '%s\n' '$files' | grep -q ' /usr/share/man/man8/bucardo-aiven\.8'"
contains "$files" "drwx------ root:root /var/lib/bucardo-aiven" "the state directory is packaged, 0700 root:root"
contains "$($RPM -qpL "$rpmfile")" "LICENSE" "LICENSE is marked %license"
contains "$($RPM -qpd "$rpmfile")" "README.md" "README.md is marked %doc"
contains "$files" "-rw-r--r-- root:root /usr/share/bash-completion/completions/bucardo-aiven" \
	"the bash completion is packaged in /usr/share/bash-completion/completions"
check "and is the one in completion/" \
	sh -c "rpm2archive - <'$rpmfile' | tar -xzOf - ./usr/share/bash-completion/completions/bucardo-aiven |
	       cmp -s - '$SRCDIR/completion/bucardo-aiven.bash'"

# Dependencies rpm cannot see: libgit2 is dlopen()ed by its soname.
requires=$($RPM -qp --requires "$rpmfile")
suffix=
[ "$(rpm --eval '%{?__isa_bits}')" = 64 ] && suffix='()(64bit)'
git2=libgit2.so.$(pkg-config --modversion libgit2 | cut -d. -f1,2)$suffix
contains "$requires" "$git2" "it requires the libgit2 soname it dlopen()s ($git2)"
contains "$requires" "perl-interpreter" "it requires perl-interpreter (perl -c)"
contains "$($RPM -qp --recommends "$rpmfile")" "libpq.so.5$suffix" "it recommends libpq (check-db)"
contains "$($RPM -qp --enhances "$rpmfile")" "bucardo" "it enhances bucardo"

# --- The scripts ----------------------------------------------------------

triggers=$($RPM -qp --filetriggers "$rpmfile")
header=$(printf '%s\n' "$triggers" | grep 'scriptlet (using')
contains "$header" "transfiletriggerin scriptlet (using /bin/sh) --" "one transaction file trigger, run by /bin/sh"
check "and no other file trigger" test "$(printf '%s\n' "$header" | wc -l)" = 1
for prefix in /usr/share/perl5 /usr/local/share/perl5 /usr/lib64/perl5 /usr/local/lib64/perl5 \
	/usr/lib/perl5 /usr/local/lib/perl5 /usr/local/lib/site_perl; do
	contains "$header" "$prefix" "the trigger watches $prefix"
done
$RPM -qp --qf '[%{TRANSFILETRIGGERSCRIPTS}\n]' "$rpmfile" >"$T/trigger.sh"
$RPM -qp --qf '%{POSTUN}\n' "$rpmfile" >"$T/postun.sh"
contains "$(cat "$T/trigger.sh")" "bucardo-aiven apply --reapply -q" "the trigger runs apply --reapply -q"
check "the trigger never names /tmp (a directory others can write to)" \
	sh -c "! grep -q '/tmp' '$T/trigger.sh'"

# A script cannot fail the transaction when it parses, never sets -e or
# exits non-zero, and ends with exit 0.
scripts=$($RPM -qp --scripts "$rpmfile")
contains "$(printf '%s\n' "$scripts" | grep 'scriptlet (using')" "postuninstall scriptlet (using /bin/sh)" "the only other script is %postun"
check "and there is no %pre, %post or %preun" sh -c "! printf '%s\n' \"\$1\" | grep -Eq '^(preinstall|postinstall|preuninstall|pretrans|posttrans) scriptlet'" sh "$scripts"
check "no classic triggers" test -z "$($RPM -qp --triggers "$rpmfile")"
for s in trigger postun; do
	for sh in sh dash bash; do
		command -v "$sh" >/dev/null || continue
		check "$s: $sh -n parses it" "$sh" -n "$T/$s.sh"
	done
	check "$s: no set -e, no exit but exit 0" sh -c "! grep -Eq '(^|[;&|[:space:]])(set -e|exit [^0]|exit$)' '$T/$s.sh'"
	check "$s: its last line is exit 0" test "$(grep -v '^[[:space:]]*$' "$T/$s.sh" | tail -n 1)" = "exit 0"
done

# --- The trigger, run in a sandbox -----------------------------------------

# The package's own binary, unpacked, is the one the trigger runs.
mkdir -p "$T/payload"
if command -v rpm2archive >/dev/null && rpm2archive - <"$rpmfile" | tar -C "$T/payload" -xzf - &&
	[ -x "$T/payload/usr/sbin/bucardo-aiven" ]; then
	pkgba=$T/payload/usr/sbin/bucardo-aiven
	check "the packaged binary runs" "$pkgba" --version
	check "and dlopen()s the soname required" grep -aqF "${git2%"$suffix"}" "$pkgba"
else
	pkgba=$BA
	skip "the packaged binary runs" "rpm2archive could not unpack it; using the build tree's"
fi

root=$T/root
mod=usr/share/perl5/vendor_perl/Bucardo.pm
pm=$root/$mod
mkdir -p "$root/usr/share/perl5/vendor_perl" "$root/var/run/bucardo" "$T/systemd"
cp "$FIXTURES/bucardo-5.6.pm" "$pm"
# bucardo-aiven is the real binary, confined to the sandbox root; logger,
# systemctl and bucardo stand in for this machine's and record their calls.
cat >"$T/bin/bucardo-aiven" <<EOF
#!/bin/sh
exec "$pkgba" --root "$root" "\$@"
EOF
cat >"$T/bin/logger" <<EOF
#!/bin/sh
printf '%s\n' "\$*" >>"$T/logger.log"
EOF
cat >"$T/bin/systemctl" <<EOF
#!/bin/sh
printf '%s\n' "\$*" >>"$T/systemctl.log"
case "\$1" in is-active) exit \${FAKE_ACTIVE:-3} ;; esac
exit 0
EOF
cat >"$T/bin/bucardo" <<EOF
#!/bin/sh
printf '%s (in %s)\n' "\$*" "\$(pwd)" >>"$T/bucardo.log"
EOF
chmod +x "$T/bin/"*
# The trigger as packaged, with Bucardo's pid directory and systemd's
# marker moved into the sandbox: its first two lines.
sed -e "s|^piddir=.*|piddir=$root/var/run/bucardo|" \
	-e "s|^sdbooted=.*|sdbooted=$T/no-systemd|" "$T/trigger.sh" >"$T/trigger-nosd.sh"
sed -e "s|^piddir=.*|piddir=$root/var/run/bucardo|" \
	-e "s|^sdbooted=.*|sdbooted=$T/systemd|" "$T/trigger.sh" >"$T/trigger-sd.sh"
check "the sandbox copy differs only in those two lines" \
	test "$(diff "$T/trigger.sh" "$T/trigger-nosd.sh" | grep -c '^>')" = 2

# trigger SHELL SCRIPT PATH...: feed the paths on stdin as rpm would; sets $rc.
trigger() {
	local shell=$1 script=$2; shift 2
	: >"$T/logger.log"; : >"$T/systemctl.log"; : >"$T/bucardo.log"
	printf '%s\n' "$@" | PATH="$T/bin:/usr/bin:/bin" "$shell" "$T/$script" >"$T/trig.out" 2>"$T/trig.err"
	rc=$?
}
upgrade() { cp "$FIXTURES/${1:-bucardo-5.6.pm}" "$pm"; }
daemon=
start_daemon() {	# a process that looks like Bucardo's MCP to /proc/PID/cmdline
	bash -c 'exec -a "Bucardo Master Control Program v5.6.0" sleep 300' &
	daemon=$!
	at_exit "kill $daemon 2>/dev/null"
	echo "$daemon" >"$root/var/run/bucardo/bucardo.mcp.pid"
}

"$pkgba" --root "$root" apply -q "$pm"
check "set-up: apply patched the copy and listed it" sh -c "cut -f1 '$root/var/lib/bucardo-aiven/watchlist' | grep -qxF '${pm#"$root"}'"

for sh in dash bash; do
	command -v "$sh" >/dev/null || { skip "the trigger under $sh" "no $sh"; continue; }
	rm -f "$root/var/run/bucardo/bucardo.mcp.pid"

	upgrade
	trigger "$sh" trigger-nosd.sh /usr/share/perl5/vendor_perl /usr/share/perl5/vendor_perl/DBIx/Safe.pm \
		/usr/share/perl5/vendor_perl/Bucardo.pm.rpmnew /usr/share/perl5/vendor_perl/Bucardo
	expect_rc 0 "$sh: no Bucardo.pm on stdin: exit 0"
	same_file "$pm" "$FIXTURES/bucardo-5.6.pm" "$sh: and the upgraded copy is left alone (apply not run)"
	check "$sh: and nothing is logged" test ! -s "$T/logger.log"

	trigger "$sh" trigger-nosd.sh
	expect_rc 0 "$sh: empty stdin: exit 0"
	same_file "$pm" "$FIXTURES/bucardo-5.6.pm" "$sh: and nothing is patched"

	trigger "$sh" trigger-nosd.sh /usr/share/perl5/vendor_perl /usr/share/perl5/vendor_perl/Bucardo.pm
	expect_rc 0 "$sh: Bucardo.pm upgraded: exit 0"
	same_file "$pm" "$FIXTURES/expected/bucardo-5.6.pm" "$sh: the upgraded copy is patched again"
	contains "$(cat "$T/logger.log")" "-t bucardo-aiven -- re-patched Bucardo.pm" "$sh: and that is logged"
	check "$sh: quietly" test ! -s "$T/trig.out" -a ! -s "$T/trig.err"
	check "$sh: no daemon: no restart" test ! -s "$T/bucardo.log" -a ! -s "$T/systemctl.log"

	trigger "$sh" trigger-nosd.sh /usr/share/perl5/vendor_perl/Bucardo.pm
	expect_rc 0 "$sh: already patched: exit 0"
	check "$sh: nothing logged" test ! -s "$T/logger.log"

	# A daemon running: restarted only when the file changed.
	start_daemon
	trigger "$sh" trigger-nosd.sh /usr/share/perl5/vendor_perl/Bucardo.pm
	check "$sh: daemon running, nothing changed: no restart" test ! -s "$T/bucardo.log"
	upgrade
	trigger "$sh" trigger-nosd.sh /usr/share/perl5/vendor_perl/Bucardo.pm
	expect_rc 0 "$sh: daemon running, re-patched: exit 0"
	# The pid file, the process and Bucardo's directories are the bucardo
	# user's: root does not run `bucardo restart` for them, it says to.
	check "$sh: a daemon started by hand is not restarted by root" test ! -s "$T/bucardo.log"
	contains "$(cat "$T/trig.err")" "Bucardo (pid $daemon) still runs the unpatched module" \
		"$sh: and the trigger says so, loudly"
	contains "$(cat "$T/trig.err")" "bucardo restart" "$sh: with the command to run"
	contains "$(cat "$T/logger.log")" "Bucardo (pid $daemon) still runs the unpatched module" "$sh: and logs it"
	check "$sh: systemctl is not asked without systemd" test ! -s "$T/systemctl.log"

	upgrade
	FAKE_ACTIVE=0 trigger "$sh" trigger-sd.sh /usr/share/perl5/vendor_perl/Bucardo.pm
	contains "$(cat "$T/systemctl.log")" "try-restart bucardo.service" "$sh: under systemd, an active bucardo.service is try-restarted"
	check "$sh: and bucardo restart is not run" test ! -s "$T/bucardo.log"

	upgrade
	FAKE_ACTIVE=3 trigger "$sh" trigger-sd.sh /usr/share/perl5/vendor_perl/Bucardo.pm
	check "$sh: under systemd with the unit inactive, a daemon started by hand is not restarted" \
		test ! -s "$T/bucardo.log"
	contains "$(cat "$T/trig.err")" "still runs the unpatched module" "$sh: and the trigger says to restart it"

	kill "$daemon" 2>/dev/null; wait "$daemon" 2>/dev/null
	sleep 300 &
	echo $! >"$root/var/run/bucardo/bucardo.mcp.pid"
	at_exit "kill $! 2>/dev/null"
	upgrade
	trigger "$sh" trigger-nosd.sh /usr/share/perl5/vendor_perl/Bucardo.pm
	same_file "$pm" "$FIXTURES/expected/bucardo-5.6.pm" "$sh: stale pid file: still re-patched"
	check "$sh: but a pid that is not Bucardo's is not restarted" test ! -s "$T/bucardo.log"
	kill "$(cat "$root/var/run/bucardo/bucardo.mcp.pid")" 2>/dev/null
	rm -f "$root/var/run/bucardo/bucardo.mcp.pid"

	# The pid directory belongs to the bucardo user: a fifo planted as the
	# pid file must not hang the transaction (opening it for reading blocks).
	mkfifo "$root/var/run/bucardo/bucardo.mcp.pid"
	upgrade
	t0=$(date +%s)
	printf '%s\n' /usr/share/perl5/vendor_perl/Bucardo.pm |
	    PATH="$T/bin:/usr/bin:/bin" timeout -k 5 60 "$sh" "$T/trigger-nosd.sh" >"$T/trig.out" 2>"$T/trig.err"
	rc=$?
	check "$sh: a fifo as the pid file: the trigger ends, exit 0 ($rc, $(($(date +%s) - t0)) s)" \
	    test "$rc" = 0 -a "$(($(date +%s) - t0))" -lt 30
	same_file "$pm" "$FIXTURES/expected/bucardo-5.6.pm" "$sh: a fifo as the pid file: still re-patched"
	rm -f "$root/var/run/bucardo/bucardo.mcp.pid"

	# An upgrade to a module the tool refuses: loud, logged, and exit 0.
	upgrade missing-disable-statement.pm
	trigger "$sh" trigger-nosd.sh /usr/share/perl5/vendor_perl/Bucardo.pm
	expect_rc 0 "$sh: apply fails: the trigger still exits 0"
	same_file "$pm" "$FIXTURES/missing-disable-statement.pm" "$sh: the refused copy is left as it is"
	# exit 4: a failure, in --detailed-exitcodes' (Puppet's) terms.
	contains "$(cat "$T/trig.err")" "WARNING: Bucardo.pm was replaced and could not be patched again (exit 4)" "$sh: the failure is said on stderr"
	contains "$(cat "$T/trig.err")" "    bucardo-aiven apply" "$sh: with the command to run by hand"
	contains "$(cat "$T/logger.log")" "could not be patched again" "$sh: and logged"
	upgrade
done

# Without bucardo-aiven at all (erased in the same transaction): silent, 0.
nopath=yes
for d in /usr/local/sbin /usr/local/bin /usr/sbin /usr/bin /sbin /bin; do
	[ -e "$d/bucardo-aiven" ] && nopath=
done
if [ -n "$nopath" ]; then
	mkdir -p "$T/bin2"
	cp "$T/bin/logger" "$T/bin2/"
	: >"$T/logger.log"
	printf '%s\n' /usr/share/perl5/vendor_perl/Bucardo.pm |
		PATH="$T/bin2:/usr/bin:/bin" sh "$T/trigger-nosd.sh" >"$T/trig.out" 2>&1
	rc=$?
	expect_rc 0 "no bucardo-aiven in PATH: exit 0"
	check "and silent" test ! -s "$T/trig.out" -a ! -s "$T/logger.log"
else
	skip "no bucardo-aiven in PATH: exit 0" "this host has one installed; not run against it"
fi

# %postun, with its state directory moved into the sandbox.
sed "s|/var/lib/bucardo-aiven|$root/var/lib/bucardo-aiven|g" "$T/postun.sh" >"$T/postun-sb.sh"
sh "$T/postun-sb.sh" 0 >"$T/.out" 2>"$T/.err"; rc=$?
expect_rc 0 "%postun on erase exits 0"
contains "$(cat "$T/.err")" "stay patched" "and says the patched copies stay patched"
contains "$(cat "$T/.err")" "${pm#"$root"}" "naming them (by their path inside the root)"
sh "$T/postun-sb.sh" 1 >"$T/.out" 2>"$T/.err"; rc=$?
expect_rc 0 "%postun on upgrade exits 0"
check "and says nothing" test ! -s "$T/.err"
check "%postun removes nothing" test -s "$root/var/lib/bucardo-aiven/watchlist"

# --- Real rpm transactions, in a chroot ---------------------------------
#
# rpm --root installs into $T/chroot with its own database and runs the
# scripts there (chroot(2): root only). The chroot holds sh, the tools the
# scripts use, and the libraries of those and of the packaged binary and
# libgit2; no perl, so apply checks by structure only.

fake_pkg() {	# NAME RELEASE FIXTURE DEST: a noarch package shipping one file
	rpmbuild --define "_topdir $T/fake" --define "_tmppath $T/tmp" --define "_dbpath $T/rpmdb" \
		--define "fname $1" --define "frel $2" --define "fsrc $3" --define "fdest $4" \
		-bb "$T/fake.spec" >>"$T/fake.log" 2>&1
}
copy_in() {	# copy files, and the libraries they need, to the same paths in the chroot
	local f l
	for f in "$@"; do
		for l in "$f" $(ldd "$f" 2>/dev/null | grep -o '/[^ ]*'); do
			[ -e "$C$l" ] && continue
			mkdir -p "$C$(dirname "$l")"
			cp -L "$l" "$C$l"
		done
	done
}
C=$T/chroot
crpm() { rpm --root "$C" --dbpath /var/lib/rpm "$@"; }

if [ "$(id -u)" != 0 ] || ! command -v chroot >/dev/null || ! command -v ldd >/dev/null ||
	! chroot / true 2>/dev/null; then
	skip "rpm transactions in a chroot" "needs root, chroot(8) and ldd"
else
	cat >"$T/fake.spec" <<'EOF'
Name:		%{fname}
Version:	1
Release:	%{frel}
Summary:	test fixture for bucardo-aiven
License:	BSD-2-Clause
BuildArch:	noarch
AutoReqProv:	no
%description
A test fixture.
%install
install -D -m 0644 %{fsrc} %{buildroot}%{fdest}
%files
%{fdest}
EOF
	vp=/usr/share/perl5/vendor_perl
	fake_pkg bucardo 1 "$FIXTURES/bucardo-5.6.pm" $vp/Bucardo.pm &&
		fake_pkg bucardo 2 "$FIXTURES/bucardo-5.6.pm" $vp/Bucardo.pm &&
		fake_pkg bucardo 3 "$FIXTURES/missing-disable-statement.pm" $vp/Bucardo.pm &&
		fake_pkg perl-Foo 1 "$FIXTURES/empty.pm" $vp/Foo.pm
	check "the fixture packages build" test -f "$T/fake/RPMS/noarch/bucardo-1-3.noarch.rpm"
	fk=$T/fake/RPMS/noarch

	for d in bin sbin lib lib64; do	# a merged /usr, as on this host
		if [ -L "/$d" ]; then mkdir -p "$C/usr/$d"; ln -s "usr/$d" "$C/$d"; fi
	done
	mkdir -p "$C/etc" "$C/tmp" "$C/var/tmp" "$C/var/log" "$C/usr/bin" "$C/dev"
	chmod 1777 "$C/tmp" "$C/var/tmp"
	echo 'root:x:0:0:root:/root:/bin/sh' >"$C/etc/passwd"
	echo 'root:x:0:' >"$C/etc/group"
	[ -e /etc/ld.so.cache ] && cp /etc/ld.so.cache "$C/etc/"
	copy_in /bin/sh "$(command -v grep)" "$(command -v sed)" "$(command -v tr)" "$(command -v cat)" \
		"$pkgba" "$(find /usr/lib /lib /usr/lib64 -name "${git2%"$suffix"}" 2>/dev/null | head -n 1)"
	printf '#!/bin/sh\necho "$*" >>/var/log/logger.log\n' >"$C/usr/bin/logger"
	chmod +x "$C/usr/bin/logger"
	rm -f "$C$pkgba"	# the package installs the binary itself

	crpm --initdb
	crpm -i --nodeps "$fk/bucardo-1-1.noarch.rpm" >"$T/t.out" 2>&1
	check "chroot: bucardo 1 installs" crpm -q bucardo-1-1

	crpm -i -vv --nodeps "$rpmfile" >"$T/t.out" 2>&1; rc=$?
	expect_rc 0 "chroot: bucardo-aiven installs"
	contains "$(cat "$T/t.out")" "%transfiletriggerin(bucardo-aiven-$version-1.$(rpm --eval %_arch)): scriptlet start" \
		"chroot: its trigger runs on its own install (Bucardo.pm already there)"
	check "chroot: its binary runs there" chroot "$C" /usr/sbin/bucardo-aiven --version
	same_file "$C$vp/Bucardo.pm" "$FIXTURES/bucardo-5.6.pm" "chroot: installing the package patches nothing by itself"
	check "chroot: the state directory is 0700" test "$(stat -c %a "$C/var/lib/bucardo-aiven")" = 700

	chroot "$C" /usr/sbin/bucardo-aiven apply -q $vp/Bucardo.pm
	same_file "$C$vp/Bucardo.pm" "$FIXTURES/expected/bucardo-5.6.pm" "chroot: the admin runs apply once"

	crpm -U -vv --nodeps "$fk/bucardo-1-2.noarch.rpm" >"$T/t.out" 2>&1; rc=$?
	expect_rc 0 "chroot: upgrading bucardo succeeds"
	same_file "$C$vp/Bucardo.pm" "$FIXTURES/expected/bucardo-5.6.pm" "chroot: the trigger patched the upgraded module again"
	check "chroot: the trigger ran once" test "$(grep -c 're-patched Bucardo.pm' "$C/var/log/logger.log")" = 1
	if command -v git >/dev/null; then
		check "chroot: the store recorded apply and re-apply" \
			test "$(git --git-dir="$C/var/lib/bucardo-aiven/store.git" rev-list --count HEAD)" = 2
	fi
	check "chroot: rpm -V reports the patched module (the documented caveat)" \
		sh -c "rpm --root '$C' --dbpath /var/lib/rpm -V bucardo | grep -q '$vp/Bucardo.pm'"

	crpm -i -vv --nodeps "$fk/perl-Foo-1-1.noarch.rpm" >"$T/t.out" 2>&1; rc=$?
	expect_rc 0 "chroot: installing another perl module succeeds"
	contains "$(cat "$T/t.out")" "%transfiletriggerin(bucardo-aiven-$version" "chroot: the trigger fired for it"
	check "chroot: and did nothing: no Bucardo.pm among its files" \
		test "$(grep -c 're-patched' "$C/var/log/logger.log")" = 1

	crpm -U --nodeps "$fk/bucardo-1-3.noarch.rpm" >"$T/t.out" 2>&1; rc=$?
	expect_rc 0 "chroot: an upgrade to a module the tool refuses still succeeds"
	check "chroot: the new package is installed" crpm -q bucardo-1-3
	contains "$(cat "$T/t.out")" "could not be patched again" "chroot: rpm's output says so loudly"
	same_file "$C$vp/Bucardo.pm" "$FIXTURES/missing-disable-statement.pm" "chroot: and the refused module is left as shipped"

	crpm -U --oldpackage --nodeps "$fk/bucardo-1-2.noarch.rpm" >"$T/t.out" 2>&1
	same_file "$C$vp/Bucardo.pm" "$FIXTURES/expected/bucardo-5.6.pm" "chroot: a downgrade to a supported module is patched again"

	crpm -e bucardo-aiven >"$T/t.out" 2>&1; rc=$?
	expect_rc 0 "chroot: erasing bucardo-aiven succeeds"
	contains "$(cat "$T/t.out")" "stay patched" "chroot: %postun says the copies stay patched"
	same_file "$C$vp/Bucardo.pm" "$FIXTURES/expected/bucardo-5.6.pm" "chroot: the module stays patched"
	check "chroot: the state directory and its originals stay" \
		sh -c "ls '$C/var/lib/bucardo-aiven/originals$vp/' | grep -q '^Bucardo.pm\..*\.gz$'"
	check "chroot: the binary is gone" test ! -e "$C/usr/sbin/bucardo-aiven"

	crpm -U --nodeps "$fk/bucardo-1-3.noarch.rpm" >"$T/t.out" 2>&1
	check "chroot: without bucardo-aiven, bucardo upgrades untouched" cmp -s "$C$vp/Bucardo.pm" "$FIXTURES/missing-disable-statement.pm"
fi

echo "# rpm.sh took $(($(date +%s) - started)) s"
done_testing
