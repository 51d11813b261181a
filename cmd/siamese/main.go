// Command siamese trains Siamese networks for image similarity and uses them
// to compare images. See README.md for a tour.
package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"slices"
	"strings"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	go func() {
		// The first Ctrl-C asks training to stop after saving; from then on
		// signals act as usual, so a second one ends the process at once.
		// That is safe: files are only ever replaced whole.
		<-ctx.Done()
		stop()
	}()
	code := run(ctx, os.Args[1:])
	stop()
	os.Exit(code)
}

// run executes the command line and returns the exit status. Errors are
// printed as one line, without usage noise.
func run(ctx context.Context, args []string) (code int) {
	defer func() {
		// A bug must still end in one line, not a stack trace; set
		// SIAMESE_TRACEBACK=1 to see where it happened.
		if p := recover(); p != nil {
			if os.Getenv("SIAMESE_TRACEBACK") != "" {
				panic(p)
			}
			fmt.Fprintf(os.Stderr, "siamese: internal error: %v (please report it, with the command line; SIAMESE_TRACEBACK=1 shows where)\n", p)
			code = 2
		}
	}()
	root := newRootCmd()
	root.SetArgs(args)
	if err := root.ExecuteContext(ctx); err != nil {
		if ec, ok := err.(exitCode); ok {
			return int(ec)
		}
		fmt.Fprintf(os.Stderr, "siamese: %s\n", oneLine(err.Error()))
		return 1
	}
	return 0
}

// oneLine joins the lines of a message that a library spread over several
// (yaml and gorgonia do), so every error stays one line on stderr.
func oneLine(msg string) string {
	lines := strings.Split(strings.TrimSpace(msg), "\n")
	for i := range lines {
		lines[i] = strings.TrimSpace(lines[i])
	}
	return strings.Join(slices.DeleteFunc(lines, func(l string) bool { return l == "" }), "; ")
}

// exitCode ends a command with a status and no message (the command has
// already said what it had to).
type exitCode int

func (e exitCode) Error() string { return fmt.Sprintf("exit status %d", int(e)) }
