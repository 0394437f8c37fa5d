// Package data turns image datasets into normalised float32 batches in NCHW
// layout, ready to feed an ONNX model.
//
// # Formats
//
// [Open] detects the format from a directory's contents:
//   - IDX files (MNIST, Fashion-MNIST): train-images-idx3-ubyte,
//     train-labels-idx1-ubyte, t10k-images-idx3-ubyte, t10k-labels-idx1-ubyte,
//     each optionally gzipped (.gz); "." may replace the last "-" as in some
//     mirrors. The class names are Fashion-MNIST's when the directory or its
//     parent has "fashion" in its name (any case), else the digits 0..9; set
//     [OpenOptions.Format] to choose explicitly.
//   - CIFAR-10 binary batches (data_batch_*.bin and test_batch.bin, class names
//     from batches.meta.txt when present) and CIFAR-100 (train.bin and test.bin,
//     fine labels, names from fine_label_names.txt when present).
//   - Image folders: ROOT/train/<class>/*.png|jpg|jpeg and ROOT/val/<class>/...
//     (or ROOT/test/ when there is no val/), classes in sorted order.
//
// [OpenFS] reads the same formats from any [io/fs.FS], and [OpenSample] reads the
// Fashion-MNIST sample embedded in package assets.
//
// A [Dataset] keeps its images as uint8 at native size (image folders at one
// common size) and its per-channel mean and standard deviation on the [0,1]
// scale, computed from the training split.
//
// # Batches
//
// A [Loader] resizes (bilinear), converts channels, augments and normalises a
// split into float32 batches: x = (v/255 - mean[c]) / std[c]. Shuffling depends
// only on (seed, epoch); augmentation only on (seed, epoch, image index), so
// the stream of batches does not depend on timing or batch size. A goroutine
// prepares the next batches while the caller computes on the current one.
//
// A batch from [Loader.Next] belongs to the caller until it is handed back
// with [Loader.Release]; the loader then refills its memory, so a training
// loop that releases each batch allocates nothing per step. [Loader.BatchAt]
// and [Loader.Gather] write into a batch the caller passes in.
//
// # Errors
//
// Errors on bad input name the file and, where it applies, the item index.
// Structural damage (bad magic, truncation, count mismatch) always fails;
// with [OpenOptions.SkipBad] undecodable images and items with out-of-range
// labels are skipped and counted in [Split.Skipped] instead.
package data
