package eval

import (
	"fmt"

	"github.com/asvit/asvit/graphgen"
)

// arity checks that in holds the required operands, present, followed by at
// most optional more.
func arity(in []*tensor, required, optional int) error {
	if len(in) < required || len(in) > required+optional {
		if optional == 0 {
			return fmt.Errorf("%d operands, want %d", len(in), required)
		}
		return fmt.Errorf("%d operands, want %d to %d", len(in), required, required+optional)
	}
	for i := range required {
		if in[i] == nil {
			return fmt.Errorf("required operand %d is omitted", i)
		}
	}
	return nil
}

// optional returns operand i, or nil when it is absent or omitted.
func optional(in []*tensor, i int) *tensor {
	if i < len(in) {
		return in[i]
	}
	return nil
}

// intsAttr returns the []int64 attribute key, or def when it is absent.
func intsAttr(n *graphgen.Node, key string, def []int) ([]int, error) {
	a, ok := n.Attrs[key]
	if !ok {
		return def, nil
	}
	v, ok := a.([]int64)
	if !ok {
		return nil, fmt.Errorf("attribute %s is %T, want []int64", key, a)
	}
	out := make([]int, len(v))
	for i, x := range v {
		out[i] = int(x)
	}
	return out, nil
}

// present checks that n has attribute key.
func present(n *graphgen.Node, key string) error {
	if _, ok := n.Attrs[key]; !ok {
		return fmt.Errorf("attribute %s is missing", key)
	}
	return nil
}

// requiredInts returns the []int64 attribute key, which must be present.
func requiredInts(n *graphgen.Node, key string) ([]int, error) {
	if err := present(n, key); err != nil {
		return nil, err
	}
	return intsAttr(n, key, nil)
}

// intAttr returns the int64 attribute key, or def when it is absent.
func intAttr(n *graphgen.Node, key string, def int) (int, error) {
	a, ok := n.Attrs[key]
	if !ok {
		return def, nil
	}
	v, ok := a.(int64)
	if !ok {
		return 0, fmt.Errorf("attribute %s is %T, want int64", key, a)
	}
	return int(v), nil
}

// floatAttr returns the float32 attribute key as float64, or def when it is absent.
func floatAttr(n *graphgen.Node, key string, def float64) (float64, error) {
	a, ok := n.Attrs[key]
	if !ok {
		return def, nil
	}
	v, ok := a.(float32)
	if !ok {
		return 0, fmt.Errorf("attribute %s is %T, want float32", key, a)
	}
	return float64(v), nil
}

// stringAttr returns the string attribute key, or def when it is absent.
func stringAttr(n *graphgen.Node, key, def string) (string, error) {
	a, ok := n.Attrs[key]
	if !ok {
		return def, nil
	}
	v, ok := a.(string)
	if !ok {
		return "", fmt.Errorf("attribute %s is %T, want string", key, a)
	}
	return v, nil
}
