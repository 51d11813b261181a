package main

import (
	"fmt"
	"strconv"
)

// autoInt is an int flag that also takes "auto", stored as 0: the value is
// then chosen from the data (see dataset.Defaults). check vets an explicit
// value, so that 0 typed by the user is an error, not a silent "auto".
type autoInt struct {
	p     *int
	check func(v int) error
}

func (a autoInt) String() string {
	if a.p == nil || *a.p == 0 {
		return "auto"
	}
	return strconv.Itoa(*a.p)
}

func (a autoInt) Set(s string) error {
	if s == "auto" {
		*a.p = 0
		return nil
	}
	v, err := strconv.Atoi(s)
	if err != nil {
		return fmt.Errorf("%q is not a whole number or auto", s)
	}
	if err := a.check(v); err != nil {
		return err
	}
	*a.p = v
	return nil
}

func (a autoInt) Type() string { return "int|auto" }

func checkSize(v int) error {
	if v < 4 {
		return fmt.Errorf("--size must be >= 4, got %d", v)
	}
	return nil
}

func checkChannels(v int) error {
	if v != 1 && v != 3 {
		return fmt.Errorf("--channels must be 1, 3 or auto, got %d", v)
	}
	return nil
}
