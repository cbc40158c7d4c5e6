# hashes.pl - the stock perl workload: hashes, arrays, regexes, sorting,
# string building; deterministic output (fixed srand, sorted prints).
use strict;
use warnings;
srand(7);
my (%count, @nums);
for my $i (1 .. 100_000) {
    my $w = join "", map { chr(97 + int(rand(8))) } 1 .. (1 + int(rand(6)));
    $count{$w}++;
    push @nums, int(rand(1_000_000));
}
my @top = (sort { $count{$b} <=> $count{$a} || $a cmp $b } keys %count)[0 .. 4];
print "distinct ", scalar(keys %count), "\n";
print "$_ $count{$_}\n" for @top;
my @sorted = sort { $a <=> $b } @nums;
print "min $sorted[0] max $sorted[-1] median $sorted[@sorted / 2]\n";
my $text = join ",", @sorted[0 .. 9999];
my @matches = ($text =~ /(\d*7\d*7\d*)/g);
print "matches ", scalar(@matches), "\n";
(my $t2 = $text) =~ s/(\d+)/<$1>/g;
print "len ", length($t2), "\n";
my %inv;
push @{ $inv{ $count{$_} } }, $_ for keys %count;
print join(" ", map { "$_:" . scalar(@{ $inv{$_} }) } (sort { $a <=> $b } keys %inv)[0 .. 4]), "\n";
