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
// # Data-dependent shapes
//
// One op's result has a size that depends on the data: NonMaxSuppression's
// [M, 3] selected indices. Its M is the marker Dynamic in the shape (and a
// dim_param in the serialised model). Rather than making every op's shape
// inference symbolic, only Identity, Slice (off that axis), GatherND (from
// its indices) and ScatterND (into its data's static shape) accept such a
// value; any other op refuses it when built. A detector's export thus
// turns the selection into a static keep mask at once: GatherND of the
// candidates' scores at the selected indices, scattered by ScatterND into
// zeros.
//
// # Forward-only ops
//
// The ops that decoding and export need (MaxPool, Sigmoid, Min, the
// comparisons and logical ops, Where, TopK, GatherElements, GatherND,
// ScatterND, NonMaxSuppression) have no VJP or JVP rule: differentiating
// through them fails, naming the op. TopK is the one op with two results.
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
