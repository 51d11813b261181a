package main

import (
	"net"
	"path/filepath"
	"testing"

	"github.com/siamese-dev/siamese/internal/model"
	"github.com/siamese-dev/siamese/internal/network"
)

// serveModel saves an untrained small model for serve to load: the
// server's plumbing is under test, not its answers.
func serveModel(t *testing.T) string {
	t.Helper()
	spec := network.Spec{Size: 28, Channels: 1, Layers: []network.Layer{
		{Kind: network.KindConv, Filters: 4, Kernel: 3}, {Kind: network.KindReLU},
		{Kind: network.KindMaxPool, Size: 2}, {Kind: network.KindDense, Units: 8},
	}}
	net, err := network.New(spec, 1)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "m.safetensors")
	if err := model.Save(path, &model.Model{Meta: model.Meta{Spec: spec, Threshold: 0.5}, Net: net}); err != nil {
		t.Fatal(err)
	}
	return path
}

// TestServeZeroDurations: a duration of 0 typed on the command line is
// refused by its flag's name, as --max-body 0 is, not served by the
// default it stands for in the Go API; a negative one too. Both before
// the port is taken.
func TestServeZeroDurations(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Skipf("no loopback: %v", err)
	}
	defer ln.Close()
	tests := []struct {
		flag, value, want string
	}{
		{"--read-timeout", "0", "--read-timeout must be positive, got 0"},
		{"--write-timeout", "0s", "--write-timeout must be positive, got 0"},
		{"--idle-timeout", "0", "--idle-timeout must be positive, got 0"},
		{"--shutdown-timeout", "0", "--shutdown-timeout must be positive, got 0"},
		{"--batch-wait", "0ms", "--batch-wait must be positive, got 0"},
		{"--shutdown-timeout", "-1s", "--shutdown-timeout must not be negative, got -1s"},
		{"--write-timeout", "-5ms", "--write-timeout must not be negative, got -5ms"},
		{"--batch-wait", "-1ms", "--batch-wait must not be negative, got -1ms"},
	}
	for _, tc := range tests {
		t.Run(tc.flag+" "+tc.value, func(t *testing.T) {
			wantError(t, siamese(t, t.TempDir(), "serve", "--addr", ln.Addr().String(), tc.flag, tc.value), tc.want)
		})
	}
}

// TestServeMissingGallery: a gallery that is not there is said as the
// flag that named it.
func TestServeMissingGallery(t *testing.T) {
	missing := filepath.Join(t.TempDir(), "nonexist")
	wantError(t, siamese(t, t.TempDir(), "serve", "--model", serveModel(t), "--addr", "127.0.0.1:0", "--gallery", missing),
		"--gallery "+missing+": no such file or directory")
}
