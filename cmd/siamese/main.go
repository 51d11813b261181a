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
	"sync/atomic"
	"syscall"

	"github.com/spf13/cobra"
)

func main() {
	in := &interrupts{}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM)
	go func() {
		<-sigs
		if !in.graceful.Load() {
			// A progress bar may be on the line: the message gets one of
			// its own.
			if isTerminal(os.Stderr) {
				fmt.Fprint(os.Stderr, "\r\x1b[K")
			}
			fmt.Fprintln(os.Stderr, "siamese: interrupted")
			os.Exit(130)
		}
		// The first signal asks the command to stop cleanly; from then on
		// signals act as usual, so a second one ends the process at once.
		// That is safe: files are only ever replaced whole.
		signal.Reset(os.Interrupt, syscall.SIGTERM)
		cancel()
	}()
	code := run(ctx, os.Args[1:], in)
	os.Exit(code)
}

// interrupts is how the first Ctrl-C or SIGTERM ends a command. Commands
// that stop cleanly on it (train keeps its checkpoint, serve lets the
// requests in flight finish) arm that (cleanStop) once there is something
// to stop cleanly (train's first epoch has begun, serve listens): then
// they see the signal as the cancellation of their context. Before that, and in any other command,
// it ends the process at once with status 130, as the signal would if
// siamese did not catch it: files are only ever replaced whole, so nothing
// is left half-written. (Minutes of loading a large folder went on after
// a Ctrl-C, and serve then even opened its port.)
type interrupts struct {
	graceful atomic.Bool
}

type cleanStopKey struct{}

// cleanStop returns the function that arms the clean stop of cmd (see
// interrupts), or one that does nothing for a command run without run's
// context (a test's).
func cleanStop(cmd *cobra.Command) func() {
	if arm, ok := cmd.Context().Value(cleanStopKey{}).(func()); ok {
		return arm
	}
	return func() {}
}

// run executes the command line and returns the exit status. Errors are
// printed as one line, without usage noise.
func run(ctx context.Context, args []string, in *interrupts) (code int) {
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
	root.PersistentPreRun = func(cmd *cobra.Command, _ []string) {
		cmd.SetContext(context.WithValue(cmd.Context(), cleanStopKey{}, func() { in.graceful.Store(true) }))
	}
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
