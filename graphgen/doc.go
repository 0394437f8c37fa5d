// Package graphgen builds ONNX graphs (opset 17) in Go and derives gradient
// graphs from them.
//
// # Building
//
// A Graph holds Values (typed, statically shaped tensors) and the Nodes that
// produce them. Every op method checks its operands' dtypes and shapes and
// computes the output shape, so a malformed graph fails while it is built,
// with the op and the shapes named, never when ONNX Runtime loads it.
//
// Values are named deterministically: a name given by the caller for inputs
// and parameters, and "<scope>/<Op>_<n>" for node outputs, where scope is set
// with Graph.Scope.
//
// Parameters are initializers (for exported models) or graph inputs (for
// graphs whose weights change between runs), chosen by Graph.ParamsAsInputs.
//
// # Errors
//
// Op methods panic with a *BuildError when their operands are wrong, which
// keeps composite builders readable. The exported boundaries, Catch and
// Graph.Model, recover such panics into ordinary errors; any other panic is
// re-raised.
//
// # Differentiation
//
// VJP (reverse mode) and JVP (forward mode) append gradient or tangent nodes
// to the same graph, reusing forward values; each op has one rule per mode
// (vjp_rules.go, jvp_rules.go) and an op without a rule fails naming it.
// PerSampleGram returns the B×B Gram matrix of per-sample parameter
// gradients from one forward and one reverse sweep (gram.go). The float64
// interpreter in package eval checks every rule against finite differences.
//
// # Serialisation
//
// Graph.Model returns the ModelProto bytes, keeping only the nodes that the
// graph outputs need. The protobuf types come from
// github.com/advancedclimatesystems/gonnx/onnx (generated from onnx.proto3
// with protoc-gen-go, APIv2). Graph.Dump gives a text listing for golden
// tests and debugging.
package graphgen
