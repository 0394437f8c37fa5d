// Package export writes an As-ViT model with its weights as an ONNX file
// whose metadata says how to feed it and what it returns, and reads that
// metadata back. It is the one owner of the metadata table: `asvit export`,
// the model.onnx of a training run, and `asvit predict`, `inspect` and
// `complexity --weights` all go through it.
//
// It sits above vit (which builds the graphs) and below train and cli
// (which both write models), so neither of those imports the other for
// it; the table is about files and data (normalisation, class names,
// where the weights came from), which vit, a description of networks,
// has no business knowing.
//
// # Metadata
//
// Every value is a string in the model's metadata_props:
//
//	asvit.arch            topology string (vit.Parse)
//	asvit.image           input side in pixels
//	asvit.channels        1 or 3
//	asvit.classes         classes of the head
//	asvit.mean, asvit.std per channel on the [0,1] scale, comma-separated
//	asvit.class_names     JSON array, one per class (logits only; optional)
//	asvit.output          logits, features or stages (see Output)
//	asvit.patch_stride    the tokenizer the weights belong to
//	asvit.patch_dilation
//	asvit.weights         init (drawn from asvit.seed), best or last (a
//	                      training run's checkpoint)
//	asvit.seed            the seed of the draw, or of the training run
//	asvit.epoch           trained weights: epochs finished
//	asvit.step            trained weights: AdamW steps taken
//	asvit.version         the asvit version that wrote the file
//
// The first seven are required to read a model (Decode); the others are
// optional, so files from earlier versions still read.
package export
