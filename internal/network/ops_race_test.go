//go:build race

package network

// raceEnabled: the race detector makes sync.Pool drop items at random, so
// allocation counts say nothing about the ops under it.
const raceEnabled = true
