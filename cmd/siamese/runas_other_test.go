//go:build !unix

package main

import "testing"

// siameseAs needs unix credentials to run the binary as another user.
func siameseAs(t *testing.T, id uint32, dir string, args ...string) result {
	t.Skip("running the binary as another user needs unix")
	return result{}
}
