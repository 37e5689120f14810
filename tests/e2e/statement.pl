#!/usr/bin/perl
# statement.pl: run one rewritten statement of a Bucardo.pm the way Bucardo
# does. Usage: statement.pl MODULE LINE DSN USER [PREPARE]
# Reads MODULE from line LINE, takes the argument of its ->do(...) call, lets
# perl evaluate that literal (so Perl's quoting is what is tested), runs the
# SQL with DBI and DBD::Pg on a new connection, after PREPARE when given,
# and prints "value: " and session_replication_role, or "error: " and the
# server's message. A test helper: it evaluates only the fixtures' literal.
use strict;
use warnings;
use DBI;

my ($module, $line, $dsn, $user, $prepare) = @ARGV;
open my $fh, '<', $module or die "cannot read $module: $!\n";
my ($text, $sql);
while (<$fh>) {
    next if $. < $line;
    $text .= $_;
    # A literal may span lines: read on until what do() is given evaluates.
    next unless $text =~ /->do\((.+)\);/s;
    $sql = eval $1;
    last if defined $sql;
}
close $fh;
defined $text or die "$module has no line $line\n";
defined $sql or die "the literal from line $line does not evaluate: $@\n";

my $dbh = DBI->connect($dsn, $user, $ENV{PGPASSWORD} // '',
    { RaiseError => 0, PrintError => 0, AutoCommit => 0 }) or die "connect: $DBI::errstr\n";
$dbh->do($prepare) if defined $prepare and length $prepare;
if (defined $dbh->do($sql)) {
    my ($value) = $dbh->selectrow_array('SHOW session_replication_role');
    $dbh->commit;
    print "value: $value\n";
} else {
    my $msg = $dbh->errstr;
    $msg =~ s/\n.*//s;
    print "error: $msg\n";
}
$dbh->disconnect;
