package graphgen

import "slices"

// BroadcastShape returns the numpy-style broadcast of a and b, or panics
// naming op when they are incompatible.
func BroadcastShape(op string, a, b []int) []int {
	n := max(len(a), len(b))
	out := make([]int, n)
	for i := range n {
		da, db := dimFromEnd(a, n-1-i), dimFromEnd(b, n-1-i)
		switch {
		case da == db, db == 1:
			out[i] = da
		case da == 1:
			out[i] = db
		default:
			fail(op, "shapes %v and %v do not broadcast", a, b)
		}
	}
	return out
}

func dimFromEnd(shape []int, k int) int {
	if k < len(shape) {
		return shape[len(shape)-1-k]
	}
	return 1
}

func (g *Graph) binary(op string, a, b *Value) *Value {
	dt := sameDType(op, a, b)
	return g.op1(op, []*Value{a, b}, nil, dt, BroadcastShape(op, a.shape, b.shape))
}

// Add returns a + b with broadcasting.
func (g *Graph) Add(a, b *Value) *Value { return g.binary("Add", a, b) }

// Sub returns a - b with broadcasting.
func (g *Graph) Sub(a, b *Value) *Value { return g.binary("Sub", a, b) }

// Mul returns a ⊙ b with broadcasting.
func (g *Graph) Mul(a, b *Value) *Value { return g.binary("Mul", a, b) }

// Div returns a / b with broadcasting.
func (g *Graph) Div(a, b *Value) *Value { return g.binary("Div", a, b) }

// Pow returns a^b with broadcasting (both floating point).
func (g *Graph) Pow(a, b *Value) *Value {
	needFloat("Pow", a)
	return g.binary("Pow", a, b)
}

// Max returns the elementwise maximum with broadcasting.
func (g *Graph) Max(a, b *Value) *Value { return g.binary("Max", a, b) }

// Scale returns x·s for a Go scalar s.
func (g *Graph) Scale(x *Value, s float64) *Value { return g.Mul(x, g.Scalar(x.dtype, s)) }

// AddScalar returns x + s for a Go scalar s.
func (g *Graph) AddScalar(x *Value, s float64) *Value { return g.Add(x, g.Scalar(x.dtype, s)) }

func (g *Graph) unary(op string, x *Value) *Value {
	needFloat(op, x)
	return g.op1(op, []*Value{x}, nil, x.dtype, slices.Clone(x.shape))
}

// Neg returns -x.
func (g *Graph) Neg(x *Value) *Value { return g.unary("Neg", x) }

// Exp returns eˣ.
func (g *Graph) Exp(x *Value) *Value { return g.unary("Exp", x) }

// Log returns ln x.
func (g *Graph) Log(x *Value) *Value { return g.unary("Log", x) }

// Sqrt returns √x.
func (g *Graph) Sqrt(x *Value) *Value { return g.unary("Sqrt", x) }

// Tanh returns tanh x.
func (g *Graph) Tanh(x *Value) *Value { return g.unary("Tanh", x) }

// Erf returns the error function of x.
func (g *Graph) Erf(x *Value) *Value { return g.unary("Erf", x) }

// Reciprocal returns 1/x.
func (g *Graph) Reciprocal(x *Value) *Value { return g.unary("Reciprocal", x) }

// Sin returns sin x.
func (g *Graph) Sin(x *Value) *Value { return g.unary("Sin", x) }

// Cos returns cos x.
func (g *Graph) Cos(x *Value) *Value { return g.unary("Cos", x) }

// Identity returns a copy of x (which may have a Dynamic dimension).
func (g *Graph) Identity(x *Value) *Value {
	y := g.op1("Identity", []*Value{x}, nil, x.dtype, slices.Clone(x.shape))
	y.dyn = x.dyn
	return y
}

// GELU returns the exact GELU, x·(1+erf(x/√2))/2, as primitive ops.
func (g *Graph) GELU(x *Value) *Value {
	inner := g.Erf(g.Scale(x, 0.7071067811865476))
	return g.Mul(g.Scale(x, 0.5), g.AddScalar(inner, 1))
}

// Cast converts x to dtype dt.
func (g *Graph) Cast(x *Value, dt DType) *Value {
	return g.op1("Cast", []*Value{x}, map[string]any{"to": int64(dt.proto())}, dt, slices.Clone(x.shape))
}

// Sigmoid returns 1/(1+e⁻ˣ).
func (g *Graph) Sigmoid(x *Value) *Value { return g.unary("Sigmoid", x) }

// Min returns the elementwise minimum with broadcasting.
func (g *Graph) Min(a, b *Value) *Value { return g.binary("Min", a, b) }

// compare applies a comparison with broadcasting; the result is Bool.
// Only Equal compares Bool operands.
func (g *Graph) compare(op string, a, b *Value) *Value {
	if sameDType(op, a, b) == Bool && op != "Equal" {
		fail(op, "operands %s and %s are Bool; compare numbers", a, b)
	}
	return g.op1(op, []*Value{a, b}, nil, Bool, BroadcastShape(op, a.shape, b.shape))
}

// Equal returns a == b with broadcasting, as Bool.
func (g *Graph) Equal(a, b *Value) *Value { return g.compare("Equal", a, b) }

// Less returns a < b with broadcasting, as Bool.
func (g *Graph) Less(a, b *Value) *Value { return g.compare("Less", a, b) }

// LessOrEqual returns a ≤ b with broadcasting, as Bool.
func (g *Graph) LessOrEqual(a, b *Value) *Value { return g.compare("LessOrEqual", a, b) }

// Greater returns a > b with broadcasting, as Bool.
func (g *Graph) Greater(a, b *Value) *Value { return g.compare("Greater", a, b) }

// GreaterOrEqual returns a ≥ b with broadcasting, as Bool.
func (g *Graph) GreaterOrEqual(a, b *Value) *Value { return g.compare("GreaterOrEqual", a, b) }

func needBool(op string, vs ...*Value) {
	for _, v := range vs {
		if v.dtype != Bool {
			fail(op, "operand %s must be Bool", v)
		}
	}
}

// And returns a ∧ b with broadcasting (Bool operands).
func (g *Graph) And(a, b *Value) *Value {
	needBool("And", a, b)
	return g.binary("And", a, b)
}

// Or returns a ∨ b with broadcasting (Bool operands).
func (g *Graph) Or(a, b *Value) *Value {
	needBool("Or", a, b)
	return g.binary("Or", a, b)
}

// Not returns ¬x (Bool operand).
func (g *Graph) Not(x *Value) *Value {
	needBool("Not", x)
	return g.op1("Not", []*Value{x}, nil, Bool, slices.Clone(x.shape))
}

// Where returns x where cond holds and y elsewhere, with all three
// broadcast together; cond is Bool, x and y share a dtype.
func (g *Graph) Where(cond, x, y *Value) *Value {
	const op = "Where"
	needBool(op, cond)
	dt := sameDType(op, x, y)
	shape := BroadcastShape(op, BroadcastShape(op, cond.shape, x.shape), y.shape)
	return g.op1(op, []*Value{cond, x, y}, nil, dt, shape)
}
