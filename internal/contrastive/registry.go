package contrastive

import (
	"errors"
	"fmt"
	"slices"
	"strings"
)

// Registry maps loss names to constructors. The zero value is not usable;
// call NewRegistry. A Registry is not safe for concurrent Register calls.
type Registry struct {
	builders map[string]func(Params) (Loss, error)
}

// NewRegistry returns a registry holding the built-in losses:
// "contrastive", "huber" and "mse" on pairs, and "triplet" and "ntxent",
// which compare every pair of a batch of classes (BatchLoss).
func NewRegistry() *Registry {
	return &Registry{builders: map[string]func(Params) (Loss, error){
		NameContrastive: newContrastive,
		NameHuber:       newHuber,
		NameMSE:         newMSE,
		NameTriplet:     newTriplet,
		NameNTXent:      newNTXent,
	}}
}

// Register adds a loss constructor under name. The constructor should
// validate its Params and return an error for unusable ones. Register fails
// on an empty name, a nil constructor, or a name that is already taken, so a
// custom loss cannot silently replace a built-in one.
func (r *Registry) Register(name string, build func(Params) (Loss, error)) error {
	switch {
	case strings.TrimSpace(name) == "":
		return errors.New("register loss: empty name")
	case build == nil:
		return fmt.Errorf("register loss %q: nil constructor", name)
	}
	if _, taken := r.builders[name]; taken {
		return fmt.Errorf("register loss %q: name already registered", name)
	}
	r.builders[name] = build
	return nil
}

// New builds the loss registered under name with parameters p.
// Parameters a loss does not use (Delta for all but huber) are ignored.
func (r *Registry) New(name string, p Params) (Loss, error) {
	build, ok := r.builders[name]
	if !ok {
		return nil, fmt.Errorf("unknown loss %q (valid: %s)", name, strings.Join(r.Names(), ", "))
	}
	l, err := build(p)
	if err != nil {
		return nil, fmt.Errorf("%s loss: %w", name, err)
	}
	if l == nil {
		return nil, fmt.Errorf("loss %q: constructor returned nil", name)
	}
	return l, nil
}

// Names returns the registered loss names in sorted order.
func (r *Registry) Names() []string {
	names := make([]string, 0, len(r.builders))
	for n := range r.builders {
		names = append(names, n)
	}
	slices.Sort(names)
	return names
}
