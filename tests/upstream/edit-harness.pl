#!/usr/bin/perl
# tests/upstream/edit-harness.pl FILE: the run-time edits that
# tests/upstream/bucardo-suite.sh makes to t/BucardoTesting.pm, the harness of
# Bucardo 5.6.0's own test suite, in a temporary copy of the upstream tarball.
# Edits FILE in place; dies, naming the edit, when an anchor is not found
# exactly once, so a different harness is refused rather than half edited.
#
# 1. Every test database gets the aiven_extras stand-in (a SECURITY DEFINER
#    session_replication_role(text), owned by the cluster's superuser, the
#    definition of tests/e2e/replicate.sh) and a role "bucardo_target" that
#    is not a superuser, with EXECUTE on the function.
# 2. The clusters named in $BA_NONSUPER_CLUSTERS (e.g. "B C") are handed to
#    bucardo_target (it owns their test tables and sequences), and
#    add_db_args gives the tests that user for them, so that `bucardo add db`
#    registers those targets with a user who is not a superuser.
# 3. The PID directory lives in the current directory instead of
#    /tmp/bucardo_testing_$USER.
# 4. After `bucardo reload sync`, wait 2 s. Without it 40-conflict.t fails
#    about one run in three, with either module: the old kid's "synckill"
#    notice reaches the MCP after the reload has answered, together with
#    the test's next kick, and ends that kick's wait before the sync ran.
use strict;
use warnings;

my $file = shift or die "usage: edit-harness.pl t/BucardoTesting.pm\n";
open my $in, '<', $file or die "edit-harness.pl: $file: $!\n";
my $text = do { local $/; <$in> };
close $in;

# edit NAME OLD NEW: replace the one occurrence of OLD with NEW.
sub edit {
	my ($name, $old, $new) = @_;
	my $n = () = $text =~ /\Q$old\E/g;
	$n == 1 or die "edit-harness.pl: $file: $name: anchor found $n times, wanted once: $old\n";
	$text =~ s/\Q$old\E/$new/;
	return;
}

edit 'pid directory',
	q~my $PIDDIR = "/tmp/bucardo_testing_$ENV{USER}";~,
	q~my $PIDDIR = getcwd() . '/piddir'; ## bucardo-aiven: not in /tmp~;

edit 'stand-in in every test database',
	q~    ## Empty out or create the droptest table
    if (table_exists($dbh => 'droptest_bucardo')) {~,
	q~    ba_aiven_extras($dbh); ## bucardo-aiven

    ## Empty out or create the droptest table
    if (table_exists($dbh => 'droptest_bucardo')) {~;

edit 'hand the target clusters over',
	q~    $self->add_test_schema($dbh, $clustername);
~,
	q~    $self->add_test_schema($dbh, $clustername);
    ba_hand_over($dbh) if ba_nonsuper($clustername); ## bucardo-aiven
~;

edit 'non-superuser in add_db_args',
	q~        ? ($user,$dbport,$dbhost)
        : "name=$dbname user=$user port=$dbport host=$dbhost";~,
	q~        ? (ba_dbuser($clustername),$dbport,$dbhost) ## bucardo-aiven
        : "name=$dbname user=" . ba_dbuser($clustername) . " port=$dbport host=$dbhost";~;

edit 'settle after a reload',
	q{    debug("bucardo said: $info", 3);},
	q{    sleep 2 if $args =~ /^reload\s+sync/; ## bucardo-aiven: see edit-harness.pl
    debug("bucardo said: $info", 3);};

edit 'helpers',
	qq{\n1;\n},
	<<'PERL';


## bucardo-aiven: the helpers of the edits above.

my $ba_role = 'bucardo_target';

sub ba_nonsuper {
    my $clustername = shift;
    return grep { $_ eq $clustername } split ' ', $ENV{BA_NONSUPER_CLUSTERS} || '';
}

sub ba_dbuser {
    my $clustername = shift;
    return ba_nonsuper($clustername) ? $ba_role : $user;
}

## The role, and aiven_extras' function as tests/e2e/replicate.sh defines it,
## created by the cluster's superuser (the one initdb made).
sub ba_aiven_extras {
    my $dbh = shift;
    $dbh->do(qq{
        DO \$ba\$ BEGIN
            IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '$ba_role') THEN
                CREATE ROLE $ba_role LOGIN NOSUPERUSER;
            END IF;
        END \$ba\$;
        CREATE SCHEMA IF NOT EXISTS aiven_extras;
        CREATE OR REPLACE FUNCTION aiven_extras.session_replication_role(arg_parameter text)
            RETURNS text LANGUAGE sql SECURITY DEFINER SET search_path = pg_catalog
            AS \$ba\$ select set_config('session_replication_role', arg_parameter, false) \$ba\$;
        REVOKE EXECUTE ON FUNCTION aiven_extras.session_replication_role(text) FROM PUBLIC;
        GRANT USAGE ON SCHEMA aiven_extras TO $ba_role;
        GRANT EXECUTE ON FUNCTION aiven_extras.session_replication_role(text) TO $ba_role;
    });
    $dbh->commit() if ! $dbh->{AutoCommit};
    return;
}

## The target's tables and sequences belong to the role; what the tests
## create later as superuser (40-serializable's mock trigger and its
## sequence) the role may use. The schema public may be the one
## empty_cluster recreated, which grants nothing to PUBLIC.
sub ba_hand_over {
    my $dbh = shift;
    $dbh->do(qq{
        GRANT USAGE ON SCHEMA public TO $ba_role;
        DO \$ba\$ DECLARE r record; BEGIN
            FOR r IN SELECT c.oid::regclass AS rel, c.relkind FROM pg_class c
                    JOIN pg_namespace n ON n.oid = c.relnamespace
                    WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p', 'S') LOOP
                EXECUTE format('ALTER %s %s OWNER TO $ba_role',
                    CASE r.relkind WHEN 'S' THEN 'SEQUENCE' ELSE 'TABLE' END, r.rel);
            END LOOP;
        END \$ba\$;
        ALTER DEFAULT PRIVILEGES GRANT ALL ON TABLES TO $ba_role;
        ALTER DEFAULT PRIVILEGES GRANT ALL ON SEQUENCES TO $ba_role;
    });
    $dbh->commit() if ! $dbh->{AutoCommit};
    return;
}

1;
PERL

open my $out, '>', "$file.new" or die "edit-harness.pl: $file.new: $!\n";
print {$out} $text or die "edit-harness.pl: $file.new: $!\n";
close $out or die "edit-harness.pl: $file.new: $!\n";
rename "$file.new", $file or die "edit-harness.pl: $file: $!\n";
