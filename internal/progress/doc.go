// Package progress draws the bar of a long piece of work (decoding a
// folder, embedding a gallery, an epoch) on a terminal, and nothing
// anywhere else.
//
// A command decides once whether its standard error is a terminal and
// hands the work either that writer or nil; the work makes a Bar from it
// with New and calls its methods unconditionally, since the methods of a
// nil *Bar do nothing. So the packages that do the work never test for a
// terminal, and output that is piped or captured stays free of carriage
// returns.
//
// A bar redraws at most ten times a second, whatever the rate of Set, and
// leaves no line behind when it finishes: what a command prints after the
// work starts on a clean line. On a terminal of known width the line is
// laid out to fit, leaving the last column free: the rate, then the time
// left, then the count are dropped as the terminal narrows, then the
// label is cut; under 19 columns there is no bar. A line wider than the
// terminal would wrap, and every redraw would leave a line behind. A warning printed while a bar is drawn must
// follow Clear, or it is glued to the end of the bar's line; the bar comes
// back with the next Set.
package progress
