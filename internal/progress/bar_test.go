package progress

import (
	"bytes"
	"errors"
	"strings"
	"testing"
	"unicode/utf8"
)

func TestNilBarDrawsNothing(t *testing.T) {
	var buf bytes.Buffer
	for _, tc := range []struct {
		name  string
		bar   *Bar
		isNil bool
	}{
		{"no writer", New(nil, 10, "embedding", "images"), true},
		{"nothing to count", New(&buf, 0, "embedding", "images"), true},
		{"negative count", New(&buf, -1, "embedding", "images"), true},
		{"a terminal and work", New(&buf, 3, "embedding", "images"), false},
	} {
		if (tc.bar == nil) != tc.isNil {
			t.Errorf("%s: bar %v, want nil %t", tc.name, tc.bar, tc.isNil)
		}
	}
	var b *Bar
	// None of these may panic or write.
	b.Set(1)
	b.Describe("x")
	b.Clear()
	b.Finish()
	if b.Func() != nil {
		t.Error("a nil bar's Func is not nil")
	}
}

func TestBarDrawsCountAndClearsWhenFinished(t *testing.T) {
	for _, tc := range []struct {
		unit string
		want []string
		not  []string
	}{
		// The first Set draws; the second comes within the throttle's
		// 100 ms and is not drawn.
		{"images", []string{"embedding", "(1/3", "images/s"}, nil},
		{"", []string{"embedding", "(1/3)"}, []string{"/s"}},
	} {
		var buf bytes.Buffer
		b := New(&buf, 3, "embedding", tc.unit)
		set := b.Func()
		set(1)
		set(3)
		b.Finish()
		b.Finish()
		out := buf.String()
		for _, w := range tc.want {
			if !strings.Contains(out, w) {
				t.Errorf("unit %q: output %q lacks %q", tc.unit, out, w)
			}
		}
		for _, w := range tc.not {
			if strings.Contains(out, w) {
				t.Errorf("unit %q: output %q has %q", tc.unit, out, w)
			}
		}
		// Cleared on finish: the last thing written blanks the line, so
		// the next output starts clean.
		last := out[strings.LastIndex(out, "\r"):]
		if strings.TrimSpace(strings.TrimPrefix(last, "\r")) != "" {
			t.Errorf("unit %q: the bar was left on its line: %q", tc.unit, last)
		}
	}
}

func TestClearBlanksTheLine(t *testing.T) {
	var buf bytes.Buffer
	b := New(&buf, 5, "loading", "images")
	b.Set(1)
	if buf.Len() == 0 {
		t.Fatal("the first Set drew nothing")
	}
	buf.Reset()
	b.Clear()
	if got := buf.String(); !strings.HasPrefix(got, "\r") || strings.TrimSpace(got) != "" {
		t.Errorf("Clear wrote %q, want a carriage return and blanks", got)
	}
}

// TestClearBefore: a bad image's report follows a blank line where the
// bar was, and is passed on with its answer; without a bar or a report
// nothing is wrapped.
func TestClearBefore(t *testing.T) {
	var buf bytes.Buffer
	b := New(&buf, 4, "loading", "images")
	b.Set(1)
	skip := errors.New("skip")
	onBad := ClearBefore(b, func(path string, err error) error {
		buf.WriteString("warning: " + path + "\n")
		return skip
	})
	if err := onBad("a.png", errors.New("bad")); err != skip {
		t.Errorf("onBad answered %v, want the wrapped one's", err)
	}
	out := buf.String()
	i := strings.Index(out, "warning: a.png")
	if i < 0 || !strings.HasSuffix(strings.TrimRight(out[:i], " "), "\r") {
		t.Errorf("the warning did not start on a cleared line: %q", out)
	}
	if ClearBefore(nil, nil) != nil || ClearBefore(b, nil) != nil {
		t.Error("a nil onBad was wrapped")
	}
	called := false
	ClearBefore(nil, func(string, error) error { called = true; return nil })("x", nil)
	if !called {
		t.Error("without a bar, onBad is not called")
	}
}

// TestFit lays a bar's line out for terminals of several widths: the
// fullest line that fits, figures dropped rate first, then the time, then
// the count, and at last the label cut; none when even that cannot fit.
func TestFit(t *testing.T) {
	full, countTime, count, bare := layouts[0], layouts[1], layouts[2], layouts[3]
	for _, tc := range []struct {
		width   int
		want    layout
		maxDesc int
		ok      bool
	}{
		{0, full, 0, true}, // not a terminal we can measure
		{120, full, 119 - full.cells(0, 20000, "images", 4), true},
		{76, full, 75 - full.cells(0, 20000, "images", 4), true},
		{75, countTime, 74 - countTime.cells(0, 20000, "images", 4), true},
		{59, countTime, 58 - countTime.cells(0, 20000, "images", 4), true},
		{58, count, 57 - count.cells(0, 20000, "images", 4), true},
		{43, count, 42 - count.cells(0, 20000, "images", 4), true},
		{42, bare, 41 - 14, true},
		{20, bare, 5, true}, // the label is cut to 5 cells
		{18, bare, 0, false},
	} {
		l, maxDesc, ok := fit(tc.width, "embedding", 20000, "images")
		if l != tc.want || maxDesc != tc.maxDesc || ok != tc.ok {
			t.Errorf("width %d: %+v, label %d cells, ok %t; want %+v, %d, %t", tc.width, l, maxDesc, ok, tc.want, tc.maxDesc, tc.ok)
		}
		// What fit chooses fits: the label, clipped, on its layout.
		if ok && tc.width > 0 {
			d := utf8.RuneCountInString(clip("embedding", maxDesc))
			if n := l.cells(d, 20000, "images", 4); n > tc.width-1 {
				t.Errorf("width %d: the line takes %d cells", tc.width, n)
			}
		}
	}
}

func TestClip(t *testing.T) {
	for _, tc := range []struct {
		desc string
		max  int
		want string
	}{
		{"embedding", 0, "embedding"},
		{"embedding", 9, "embedding"},
		{"embedding", 5, "embe…"},
		{"époque 1/3", 4, "épo…"}, // cut by letters, not bytes
	} {
		if got := clip(tc.desc, tc.max); got != tc.want {
			t.Errorf("clip(%q, %d) = %q, want %q", tc.desc, tc.max, got, tc.want)
		}
	}
}
