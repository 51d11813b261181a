// Command siamese trains Siamese networks for image similarity and uses them
// to compare images. See README.md for a tour.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
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
	ctx, cancel := context.WithCancelCause(context.Background())
	defer cancel(nil)
	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM)
	go func() {
		sig := <-sigs
		if !in.graceful.Load() {
			// A progress bar may be on the line: the message gets one of
			// its own.
			if isTerminal(os.Stderr) {
				fmt.Fprint(os.Stderr, "\r\x1b[K")
			}
			fmt.Fprintln(os.Stderr, "siamese: interrupted")
			os.Exit(stoppedBy{sig}.status())
		}
		// The first signal asks the command to stop cleanly; from then on
		// signals act as usual, so a second one ends the process at once.
		// That is safe: files are only ever replaced whole.
		signal.Reset(os.Interrupt, syscall.SIGTERM)
		cancel(stoppedBy{sig})
	}()
	if len(os.Args) > 1 && os.Args[1] == "serve" {
		// Caught before anything else runs: a SIGHUP (a reload) sent as
		// the server starts must not end it (see serve).
		hup := make(chan os.Signal, 1)
		signal.Notify(hup, syscall.SIGHUP)
		ctx = context.WithValue(ctx, hangupsKey{}, hup)
	}
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

// stoppedBy is the cause of a command's context's cancellation by a
// signal.
type stoppedBy struct{ sig os.Signal }

func (s stoppedBy) Error() string { return "stopped by " + s.sig.String() }

// status is the exit status of a command the signal stopped: 128 + the
// signal's number, as a shell reports a process the signal killed.
func (s stoppedBy) status() int {
	if s.sig == syscall.SIGTERM {
		return exitTerminated
	}
	return exitInterrupt
}

// interruptStatus is the exit status of a command that stopped cleanly
// because ctx was cancelled: by its signal's, Ctrl-C's if not known.
func interruptStatus(ctx context.Context) int {
	if s, ok := errors.AsType[stoppedBy](context.Cause(ctx)); ok {
		return s.status()
	}
	return exitInterrupt
}

type hangupsKey struct{}

// earlyHangups returns the channel that receives SIGHUP for cmd: the one
// main made before the command ran, or a new one (a test's command, run
// without main).
func earlyHangups(cmd *cobra.Command) chan os.Signal {
	if hup, ok := cmd.Context().Value(hangupsKey{}).(chan os.Signal); ok {
		return hup
	}
	hup := make(chan os.Signal, 1)
	signal.Notify(hup, syscall.SIGHUP)
	return hup
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
			code = exitInternal
		}
	}()
	root := newRootCmd()
	root.PersistentPreRun = func(cmd *cobra.Command, _ []string) {
		cmd.SetContext(context.WithValue(cmd.Context(), cleanStopKey{}, func() { in.graceful.Store(true) }))
	}
	root.SetArgs(args)
	stdout := &checkedWriter{w: os.Stdout}
	root.SetOut(stdout)
	err := root.ExecuteContext(ctx)
	if err == nil && stdout.err != nil {
		// Text output is written line by line, unchecked; a full disk or a
		// closed file must still fail the command, as it does for --json.
		err = fmt.Errorf("write standard output: %w", unwrapPathErr(stdout.err))
	}
	if err != nil {
		if ec, ok := err.(exitCode); ok {
			return int(ec)
		}
		msg, usage := cobraUsage(err.Error())
		fmt.Fprintf(os.Stderr, "siamese: %s\n", oneLine(msg))
		if _, ok := errors.AsType[usageError](err); ok || usage {
			return exitUsage
		}
		return 1
	}
	return 0
}

// The exit statuses other than 0 (success) and 1 (an error while running).
const (
	exitUsage      = 2   // the command line cannot be run as written
	exitDissimilar = 3   // compare --fail-dissimilar: a pair is dissimilar
	exitInternal   = 70  // a bug (EX_SOFTWARE)
	exitInterrupt  = 130 // Ctrl-C (128 + SIGINT)
	exitTerminated = 143 // SIGTERM (128 + SIGTERM)
)

// cobraUsage tells the usage errors that cobra makes itself, as plain
// errors, by their wording: an unknown command (with cobra's suggestions
// put on the same line) and a required flag not given.
func cobraUsage(msg string) (string, bool) {
	if cmd, hint, ok := strings.Cut(msg, "\n\nDid you mean this?\n"); ok && strings.HasPrefix(msg, "unknown command ") {
		return fmt.Sprintf("%s (did you mean %s?)", cmd, strings.Join(strings.Fields(hint), " or ")), true
	}
	return msg, strings.HasPrefix(msg, "unknown command ") || strings.HasPrefix(msg, "required flag(s) ")
}

// checkedWriter keeps the first error of the writes to w.
type checkedWriter struct {
	w   io.Writer
	err error
}

func (c *checkedWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	if err != nil && c.err == nil {
		c.err = err
	}
	return n, err
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
