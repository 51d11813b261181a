package main

import (
	"fmt"
	"strconv"
)

// autoInt is an int flag that also takes "auto", stored as 0: the value is
// then chosen from the data (see dataset.Defaults).
type autoInt struct {
	p       *int
	allowed []int // nil: any positive value
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
	if err != nil || v <= 0 {
		return fmt.Errorf("%q is not a positive number or auto", s)
	}
	if a.allowed != nil {
		ok := false
		for _, w := range a.allowed {
			ok = ok || v == w
		}
		if !ok {
			return fmt.Errorf("%d is not one of %v or auto", v, a.allowed)
		}
	}
	*a.p = v
	return nil
}

func (a autoInt) Type() string { return "int|auto" }
